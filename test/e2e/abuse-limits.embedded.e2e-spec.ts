import { describeAbuseLimits } from './support/abuse-limits.scenarios.js';
import { startEmbeddedStack } from './support/stacks.js';

describeAbuseLimits('abuse limits against npm start (embedded, no Kafka)', startEmbeddedStack);

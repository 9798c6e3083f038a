import { describePollFlow } from './support/poll-flow.scenarios.js';
import { startEmbeddedStack } from './support/stacks.js';

describePollFlow('poll flow against npm start (embedded, no Kafka)', startEmbeddedStack);

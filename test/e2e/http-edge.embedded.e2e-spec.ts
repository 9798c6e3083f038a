import { describeHttpEdge } from './support/http-edge.scenarios.js';
import { startEmbeddedStack } from './support/stacks.js';

describeHttpEdge('the HTTP edge of npm start (embedded, no Kafka)', startEmbeddedStack);

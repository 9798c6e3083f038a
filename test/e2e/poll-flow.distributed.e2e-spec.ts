import { describePollFlow } from './support/poll-flow.scenarios.js';
import { startDistributedStack } from './support/stacks.js';

describePollFlow('poll flow, each service in its own process over Kafka', startDistributedStack);

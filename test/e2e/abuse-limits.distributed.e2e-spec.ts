import { describeAbuseLimits } from './support/abuse-limits.scenarios.js';
import { startDistributedStack } from './support/stacks.js';

// the backchannel service frees a slot from the decision it consumes over Kafka
describeAbuseLimits('abuse limits, each service in its own process over Kafka', startDistributedStack);

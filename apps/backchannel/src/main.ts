import 'reflect-metadata';
import { runHttpService } from '@backchannel/http';
import { BackchannelModule } from './backchannel.module.js';

// writes requests and client events; consumes nothing
runHttpService({ service: 'backchannel', features: [BackchannelModule], kafka: {} });

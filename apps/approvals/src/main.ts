import 'reflect-metadata';
import { runHttpService } from '@backchannel/http';
import { ApprovalsModule } from './approvals.module.js';

// writes the users' answers; consumes nothing
runHttpService({ service: 'approvals', features: [ApprovalsModule], kafka: {} });

import 'reflect-metadata';
import { runHttpService } from '@backchannel/http';
import { TOKEN_CONSUMER } from './push-issuance/push-issuance.consumer.js';
import { TokenModule } from './token.module.js';

// /token, and push-mode issuance from the auth-request topic, in one process
runHttpService({ service: 'token', features: [TokenModule], kafka: { consumer: TOKEN_CONSUMER } });

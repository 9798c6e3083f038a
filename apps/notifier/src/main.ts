import 'reflect-metadata';
import { runHttpService } from '@backchannel/http';
import { NOTIFIER_CONSUMER } from './device-notifications/new-request.consumer.js';
import { NotifierModule } from './notifier.module.js';

// new requests from the auth-request topic; its delivery worker starts with the app
runHttpService({ service: 'notifier', features: [NotifierModule], kafka: { consumer: NOTIFIER_CONSUMER } });

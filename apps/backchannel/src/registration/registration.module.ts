import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import { RegistrationController } from './registration.controller.js';

/** RFC 7591 dynamic registration and RFC 7592 client configuration, at /register. */
@Module({ imports: [ClientsModule], controllers: [RegistrationController] })
export class RegistrationModule {}

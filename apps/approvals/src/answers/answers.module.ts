import { Module } from '@nestjs/common';
import { UserRequestsModule } from '@backchannel/user-requests';
import { AnswerRecorder } from './answer-recorder.js';

/** The one use case that records the user's answers; every door calls it. */
@Module({ imports: [UserRequestsModule], providers: [AnswerRecorder], exports: [AnswerRecorder] })
export class AnswersModule {}

import { deadLetterTopic } from '@backchannel/events';
import { DeadLetterHeaders, deadLetterRecord, describeError } from './dead-letters.js';

describe('deadLetterRecord', () => {
  const failedAt = new Date('2026-11-21T10:00:00.000Z');
  const letter = {
    topic: 'backchannel.auth-requests.v1',
    consumerGroup: 'notifier',
    key: 'auth-request-abc',
    value: '{"broken"',
    headers: { eventId: 'e1', eventType: 'AuthRequested' },
    kind: 'poison' as const,
    error: new SyntaxError('Unexpected end of JSON input'),
  };

  it("goes to the consumer group's dead-letter topic with the original key and value", () => {
    const record = deadLetterRecord(letter, failedAt);
    expect(record.topic).toBe(deadLetterTopic('backchannel.auth-requests.v1', 'notifier'));
    expect(record.messages).toHaveLength(1);
    expect(record.messages[0]).toMatchObject({ key: 'auth-request-abc', value: '{"broken"' });
  });

  it('keeps the original headers and adds what failed, where and when', () => {
    const [message] = deadLetterRecord({ ...letter, partition: 2, offset: '17' }, failedAt).messages;
    expect(message!.headers).toEqual({
      eventId: 'e1',
      eventType: 'AuthRequested',
      [DeadLetterHeaders.originalTopic]: 'backchannel.auth-requests.v1',
      [DeadLetterHeaders.originalPartition]: '2',
      [DeadLetterHeaders.originalOffset]: '17',
      [DeadLetterHeaders.consumerGroup]: 'notifier',
      [DeadLetterHeaders.failureKind]: 'poison',
      [DeadLetterHeaders.errorName]: 'SyntaxError',
      [DeadLetterHeaders.errorMessage]: 'Unexpected end of JSON input',
      [DeadLetterHeaders.failedAt]: '2026-11-21T10:00:00.000Z',
    });
  });
});

describe('describeError', () => {
  it('reads errors, the plain objects Nest filters produce, and anything else', () => {
    expect(describeError(new TypeError('bad'))).toEqual({ name: 'TypeError', message: 'bad' });
    expect(describeError({ status: 'error', message: 'Internal server error' })).toEqual({
      name: 'Error',
      message: 'Internal server error',
    });
    expect(describeError('boom')).toEqual({ name: 'string', message: 'boom' });
  });
});

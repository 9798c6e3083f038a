import { QueryRunnerAlreadyReleasedError } from 'typeorm';
import { UnknownEventVersionError } from '@backchannel/events';
import { WrongExpectedVersionError } from '@backchannel/event-store';
import { classifyFailure } from './failure-classification.js';
import { MalformedEventError } from './recorded-event.codec.js';

/** An error as node-postgres raises it: a message and a SQLSTATE code. */
function postgresError(code: string): Error {
  return Object.assign(new Error(`postgres said ${code}`), { code });
}

describe('classifyFailure', () => {
  describe('transient failures', () => {
    it.each([
      ['connection failure (08006)', '08006'],
      ['serialization failure (40001)', '40001'],
      ['deadlock (40P01)', '40P01'],
      ['too many connections (53300)', '53300'],
      ['admin shutdown (57P01), also a backend whose postmaster was killed', '57P01'],
      ['server starting up after a crash, in recovery (57P03)', '57P03'],
    ])('a PostgreSQL %s', (_name, code) => {
      expect(classifyFailure(postgresError(code))).toBe('transient');
    });

    it('a PostgreSQL error wrapped by TypeORM as driverError', () => {
      const wrapped = Object.assign(new Error('QueryFailedError'), { driverError: postgresError('40001') });
      expect(classifyFailure(wrapped)).toBe('transient');
    });

    it.each(['ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET'])('a socket error %s', (code) => {
      expect(classifyFailure(Object.assign(new Error(code), { code }))).toBe('transient');
    });

    it.each([
      'Connection terminated unexpectedly',
      'Client has encountered a connection error and is not queryable',
      'timeout exceeded when trying to connect',
    ])('a connection lost by node-postgres, which carries no code: %s', (message) => {
      expect(classifyFailure(new Error(message))).toBe('transient');
    });

    it('a transaction whose connection failed before its COMMIT: TypeORM released its query runner', () => {
      expect(classifyFailure(new QueryRunnerAlreadyReleasedError())).toBe('transient');
    });

    it('a lost race on the stream version', () => {
      expect(classifyFailure(new WrongExpectedVersionError('auth-request-x', 3))).toBe('transient');
    });

    it('a kafkajs error marked retriable, also as the cause of another', () => {
      const retriable = Object.assign(new Error('leader not available'), { retriable: true });
      expect(classifyFailure(retriable)).toBe('transient');
      expect(classifyFailure(Object.assign(new Error('retries exceeded'), { cause: retriable }))).toBe('transient');
    });
  });

  describe('poison messages', () => {
    it('an event version no upcaster knows', () => {
      expect(classifyFailure(new UnknownEventVersionError('AuthRequested', 7))).toBe('poison');
    });

    it('a failover: read-only transaction on a demoted primary, a lock not available, a name not resolved', () => {
      for (const code of ['25006', '55P03', 'ENOTFOUND', 'ENETUNREACH']) {
        expect(classifyFailure(Object.assign(new Error(code), { code }))).toBe('transient');
      }
    });

    it('a malformed event', () => {
      expect(classifyFailure(new MalformedEventError('no streamId'))).toBe('poison');
    });
  });

  describe('unexpected failures', () => {
    it('a syntax error raised by the handler (decoding failures arrive as MalformedEventError)', () => {
      expect(classifyFailure(new SyntaxError('Unexpected end of JSON input'))).toBe('unexpected');
    });

    it.each([
      ['a programming error', new TypeError('cannot read properties of undefined')],
      ['a constraint violation (23505)', postgresError('23505')],
      ['a kafkajs error marked not retriable', Object.assign(new Error('invalid topic'), { retriable: false })],
      ['a plain object, as Nest exception filters rethrow', { status: 'error', message: 'Internal server error' }],
      ['a string', 'boom'],
    ])('%s', (_name, error) => {
      expect(classifyFailure(error)).toBe('unexpected');
    });
  });
});

import { accept, reject, type Decider, type Event } from '@backchannel/events';
import { DeciderSpecification } from './decider-specification.js';

/** A counter that refuses to go past a limit and treats adding zero as a no-op. */
type Added = Event<'Added', { amount: number }>;
type Add = { type: 'Add'; amount: number };
const limit = 3;

const counter: Decider<Add, number, Added, { code: 'over_limit' }> = {
  initialState: () => 0,
  evolve: (total, event) => total + event.data.amount,
  decide: (command, total) => {
    if (command.amount === 0) return accept();
    if (total + command.amount > limit) return reject({ code: 'over_limit' });
    return accept(added(command.amount));
  },
};

function added(amount: number) {
  return {
    type: 'Added' as const,
    schemaVersion: 1,
    data: { amount },
    metadata: { correlationId: 'c', actor: 'test', occurredAt: '2026-01-01T00:00:00Z' },
  };
}

const spec = DeciderSpecification.for(counter);

describe('DeciderSpecification', () => {
  it('folds the given events, without eventIds, before deciding', () => {
    spec
      .given([added(2)])
      .when({ type: 'Add', amount: 1 })
      .then([added(1)]);
    expect(() =>
      spec
        .given([added(2)])
        .when({ type: 'Add', amount: 2 })
        .then([added(2)]),
    ).toThrow();
  });

  it('accepts given events that carry an eventId', () => {
    spec
      .given([{ ...added(3), eventId: 'e-1' }])
      .when({ type: 'Add', amount: 1 })
      .thenRejects('over_limit');
  });

  it('then fails when the events differ or the command is rejected', () => {
    expect(() =>
      spec
        .given([])
        .when({ type: 'Add', amount: 1 })
        .then([added(2)]),
    ).toThrow();
    expect(() =>
      spec
        .given([])
        .when({ type: 'Add', amount: 4 })
        .then([added(4)]),
    ).toThrow();
  });

  it('thenRejects matches the rejection code and fails on acceptance or another code', () => {
    spec.given([]).when({ type: 'Add', amount: 4 }).thenRejects('over_limit');
    expect(() => spec.given([]).when({ type: 'Add', amount: 4 }).thenRejects('not_found')).toThrow();
    expect(() => spec.given([]).when({ type: 'Add', amount: 1 }).thenRejects('over_limit')).toThrow();
  });

  it('thenNothing passes only for an acceptance without events', () => {
    spec
      .given([added(1)])
      .when({ type: 'Add', amount: 0 })
      .thenNothing();
    expect(() => spec.given([]).when({ type: 'Add', amount: 1 }).thenNothing()).toThrow();
    expect(() => spec.given([]).when({ type: 'Add', amount: 4 }).thenNothing()).toThrow();
  });
});

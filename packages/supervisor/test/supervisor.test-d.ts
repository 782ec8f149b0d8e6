import type { CancellationToken } from '@x/core';
import { describe, expectTypeOf, it } from 'vitest';
import {
  Supervisor,
  SupervisorError,
  type ChildStatus,
  type SupervisorEvent,
  type SupervisorOptions,
} from '../src/index.js';

describe('Supervisor types', () => {
  it('hands children a CancellationToken and accepts sync or async work', () => {
    const supervisor = new Supervisor();
    supervisor.start('a', (token) => {
      expectTypeOf(token).toEqualTypeOf<CancellationToken>();
    });
    supervisor.start('b', async (token) => {
      await fetch('https://example.com', { signal: token.signal });
    });
    expectTypeOf(supervisor.start).returns.toBeVoid();
  });

  it('types options, events, snapshot and done', () => {
    // @ts-expect-error unknown strategy
    const bad: SupervisorOptions = { strategy: 'all-for-one' };
    expectTypeOf(bad).toEqualTypeOf<SupervisorOptions>();
    const supervisor = new Supervisor({ strategy: 'rest-for-one', backoff: { initialMs: 0, jitter: true } });
    // @ts-expect-error unknown restart type
    supervisor.start('a', () => {}, { restart: 'sometimes' });
    // @ts-expect-error unknown event type
    supervisor.on('child-exploded', () => {});
    const off = supervisor.on('child-failed', (event) => {
      expectTypeOf(event).toEqualTypeOf<SupervisorEvent>();
      expectTypeOf(event.error).toBeUnknown();
    });
    expectTypeOf(off).toEqualTypeOf<() => void>();
    expectTypeOf(supervisor.children).toEqualTypeOf<ChildStatus[]>();
    expectTypeOf(supervisor.children[0]!.state).toEqualTypeOf<'running' | 'backoff' | 'stopped'>();
    expectTypeOf(supervisor.done).toEqualTypeOf<Promise<void>>();
    expectTypeOf(supervisor.stop()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(supervisor).toExtend<AsyncDisposable>();
  });

  it('narrows with SupervisorError.is', () => {
    const error: unknown = new Error('x');
    if (SupervisorError.is(error)) expectTypeOf(error).toEqualTypeOf<SupervisorError>();
  });
});

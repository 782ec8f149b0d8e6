import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { BubbleUp, CancellationSource, CancelledError, TimeoutError, type CancellationToken } from '@x/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Supervisor,
  SupervisorError,
  type SupervisorEvent,
  type SupervisorEventType,
  type SupervisorOptions,
} from '../src/index.js';
import { controlled, tick } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A supervisor that records every event as `type:name`. */
function recorded(options: SupervisorOptions = {}): {
  supervisor: Supervisor;
  events: string[];
  payloads: (SupervisorEvent & { type: SupervisorEventType })[];
} {
  const supervisor = new Supervisor(options);
  const events: string[] = [];
  const payloads: (SupervisorEvent & { type: SupervisorEventType })[] = [];
  for (const type of ['child-started', 'child-failed', 'child-restarted', 'child-stopped', 'gave-up'] as const) {
    supervisor.on(type, (event) => {
      events.push(`${type}:${event.name}`);
      payloads.push({ type, ...event });
    });
  }
  return { supervisor, events, payloads };
}

describe('options', () => {
  it('throws a TypeError naming the strategy for an unknown one', () => {
    expect(() => new Supervisor({ strategy: 'all-for-one' as never })).toThrow(
      new TypeError(
        "Expected `strategy` to be 'one-for-one', 'one-for-all' or 'rest-for-one', got `\"all-for-one\"` (string)",
      ),
    );
  });

  it('throws a RangeError for a negative or fractional maxRestarts and accepts 0 and Infinity', () => {
    expect(() => new Supervisor({ maxRestarts: -1 })).toThrow(RangeError);
    expect(() => new Supervisor({ maxRestarts: 1.5 })).toThrow(/`maxRestarts`.*`1.5`/);
    expect(() => new Supervisor({ maxRestarts: '3' as never })).toThrow(TypeError);
    for (const maxRestarts of [0, Infinity]) void new Supervisor({ maxRestarts }).stop();
  });

  it('throws a RangeError for a withinMs that is not a positive number', () => {
    expect(() => new Supervisor({ withinMs: 0 })).toThrow(/`withinMs`.*`0`/);
    expect(() => new Supervisor({ withinMs: Number.NaN })).toThrow(RangeError);
  });

  it('checks every backoff option and names it', () => {
    expect(() => new Supervisor({ backoff: { initialMs: -1 } })).toThrow(/`backoff.initialMs`/);
    expect(() => new Supervisor({ backoff: { factor: 0.5 } })).toThrow(/`backoff.factor`/);
    expect(() => new Supervisor({ backoff: { initialMs: 100, maxMs: 50 } })).toThrow(/`backoff.maxMs`.*`50`/);
    expect(() => new Supervisor({ backoff: { jitter: 'yes' as never } })).toThrow(/`backoff.jitter`/);
    expect(() => new Supervisor({ backoff: 5 as never })).toThrow(/`backoff`/);
    expect(() => new Supervisor({ resetAfterMs: -5 })).toThrow(/`resetAfterMs`/);
  });

  it('throws a TypeError for a signal that is neither an AbortSignal nor a token', () => {
    expect(() => new Supervisor({ signal: {} as never })).toThrow(TypeError);
  });

  it('checks the arguments of start and names them', async () => {
    const supervisor = new Supervisor();
    const { fn } = controlled();
    expect(() => supervisor.start('', fn)).toThrow(/`name`/);
    expect(() => supervisor.start('a', 'nope' as never)).toThrow(/`fn`.*"nope"/);
    expect(() => supervisor.start('a', fn, { restart: 'sometimes' as never })).toThrow(/`restart`/);
    expect(() => supervisor.start('a', fn, { shutdownMs: -1 })).toThrow(/`shutdownMs`/);
    expect(() => supervisor.on('nope' as never, () => {})).toThrow(/`type`/);
    expect(() => supervisor.on('gave-up', null as never)).toThrow(/`listener`/);
    expect(supervisor.children).toEqual([]);
    await supervisor.stop();
  });

  it('refuses a second child of a name that is running', async () => {
    const supervisor = new Supervisor();
    supervisor.start('a', controlled().fn);
    expect(() => supervisor.start('a', controlled().fn)).toThrow(RangeError);
    await supervisor.stop();
  });
});

describe('running children', () => {
  it('calls the child at once with a token that is not cancelled', async () => {
    const { supervisor, events } = recorded();
    const child = controlled();
    supervisor.start('a', child.fn);
    expect(child.runs).toHaveLength(1);
    expect(child.last().token.isCancelled).toBe(false);
    expect(supervisor.children).toEqual([{ name: 'a', state: 'running', restarts: 0, lastError: undefined }]);
    expect(events).toEqual(['child-started:a']);
    await supervisor.stop();
  });

  it('restarts a permanent child after a failure once the backoff has passed', async () => {
    const { supervisor, events } = recorded({ backoff: { initialMs: 100 } });
    const child = controlled();
    supervisor.start('a', child.fn);
    const boom = new Error('boom');
    child.last().fail(boom);
    await tick();
    expect(supervisor.children).toEqual([{ name: 'a', state: 'backoff', restarts: 0, lastError: boom }]);
    await vi.advanceTimersByTimeAsync(99);
    expect(child.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(child.runs).toHaveLength(2);
    expect(supervisor.children).toEqual([{ name: 'a', state: 'running', restarts: 1, lastError: boom }]);
    expect(events).toEqual(['child-started:a', 'child-failed:a', 'child-restarted:a']);
    await supervisor.stop();
  });

  it('restarts a permanent child after a normal return', async () => {
    const { supervisor, events } = recorded({ backoff: { initialMs: 0 } });
    const child = controlled();
    supervisor.start('a', child.fn);
    child.last().finish();
    await tick();
    expect(child.runs).toHaveLength(2);
    expect(events).toEqual(['child-started:a', 'child-stopped:a', 'child-restarted:a']);
    await supervisor.stop();
  });

  it('restarts a transient child after a failure only', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    const child = controlled();
    supervisor.start('a', child.fn, { restart: 'transient' });
    child.last().fail(new Error('boom'));
    await tick();
    expect(child.runs).toHaveLength(2);
    child.last().finish();
    await tick();
    expect(child.runs).toHaveLength(2);
    expect(supervisor.children[0]?.state).toBe('stopped');
    await supervisor.stop();
  });

  it('does not restart a transient child that ends with a cancellation of its own', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    const child = controlled();
    supervisor.start('a', child.fn, { restart: 'transient' });
    child.last().fail(new DOMException('aborted', 'AbortError'));
    await tick();
    expect(child.runs).toHaveLength(1);
    expect(supervisor.children).toEqual([{ name: 'a', state: 'stopped', restarts: 0, lastError: undefined }]);
    await supervisor.stop();
  });

  it('restarts a permanent child that ends with a cancellation it did not get from the supervisor', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    const child = controlled();
    supervisor.start('a', child.fn);
    child.last().fail(new CancelledError());
    await tick();
    expect(child.runs).toHaveLength(2);
    expect(supervisor.children[0]?.lastError).toBeUndefined();
    await supervisor.stop();
  });

  it('never restarts a temporary child', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    const child = controlled();
    supervisor.start('a', child.fn, { restart: 'temporary' });
    const boom = new Error('boom');
    child.last().fail(boom);
    await tick();
    expect(child.runs).toHaveLength(1);
    expect(supervisor.children).toEqual([{ name: 'a', state: 'stopped', restarts: 0, lastError: boom }]);
    await supervisor.stop();
  });

  it('lets a stopped child name be started again', async () => {
    const supervisor = new Supervisor();
    const first = controlled();
    supervisor.start('a', first.fn, { restart: 'temporary' });
    first.last().finish();
    await tick();
    const second = controlled();
    supervisor.start('a', second.fn);
    expect(second.runs).toHaveLength(1);
    expect(supervisor.children).toEqual([{ name: 'a', state: 'running', restarts: 0, lastError: undefined }]);
    await supervisor.stop();
  });

  it('handles a child that throws synchronously, returns a value, or rejects with a non-Error', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 0 }, maxRestarts: Infinity });
    let calls = 0;
    supervisor.start('sync', () => {
      calls++;
      if (calls === 1) throw new Error('sync');
      if (calls === 2) return 42;
      if (calls === 3) return Promise.reject('a string');
      return new Promise<never>(() => {});
    }, { shutdownMs: 0 });
    await tick();
    expect(calls).toBe(4);
    expect(supervisor.children[0]).toMatchObject({ restarts: 3, lastError: 'a string' });
    await vi.advanceTimersByTimeAsync(0);
    const stopped = supervisor.stop();
    await vi.advanceTimersByTimeAsync(0);
    await stopped;
  });

  it('treats a returned object whose then getter throws as a failure', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    const broken = new Error('then getter');
    let calls = 0;
    supervisor.start('a', () => {
      calls++;
      if (calls > 1) return new Promise<never>(() => {});
      return {
        get then(): never {
          throw broken;
        },
      };
    }, { shutdownMs: 0 });
    await tick();
    expect(calls).toBe(2);
    expect(supervisor.children[0]?.lastError).toBe(broken);
    const stopping = supervisor.stop();
    await vi.advanceTimersByTimeAsync(0);
    await stopping;
  });

  it('runs every restart in the async context of its start call', async () => {
    const storage = new AsyncLocalStorage<string>();
    const supervisor = new Supervisor({ backoff: { initialMs: 10 } });
    const seen: (string | undefined)[] = [];
    const child = controlled();
    storage.run('request-1', () => {
      supervisor.start('a', (token) => {
        seen.push(storage.getStore());
        return child.fn(token);
      });
    });
    child.last().fail(new Error('boom'));
    await vi.advanceTimersByTimeAsync(10);
    child.last().fail(new Error('boom'));
    await vi.advanceTimersByTimeAsync(20);
    expect(seen).toEqual(['request-1', 'request-1', 'request-1']);
    await supervisor.stop();
  });
});

describe('backoff', () => {
  it('waits initialMs * factor^(n-1), capped at maxMs, before the n-th restart in a row', async () => {
    const supervisor = new Supervisor({
      maxRestarts: Infinity,
      backoff: { initialMs: 100, factor: 3, maxMs: 1_000 },
      resetAfterMs: 10_000,
    });
    const child = controlled();
    supervisor.start('a', child.fn);
    const delays: number[] = [];
    for (let n = 0; n < 5; n++) {
      child.last().fail(new Error('boom'));
      await tick();
      const before = Date.now();
      const runs = child.runs.length;
      while (child.runs.length === runs) await vi.advanceTimersByTimeAsync(1);
      delays.push(Date.now() - before);
    }
    expect(delays).toEqual([100, 300, 900, 1_000, 1_000]);
    await supervisor.stop();
  });

  it('starts the backoff over after the child has run resetAfterMs without ending', async () => {
    const supervisor = new Supervisor({ maxRestarts: Infinity, backoff: { initialMs: 100 }, resetAfterMs: 1_000 });
    const child = controlled();
    supervisor.start('a', child.fn);
    child.last().fail(new Error('boom'));
    await vi.advanceTimersByTimeAsync(100);
    child.last().fail(new Error('boom'));
    await vi.advanceTimersByTimeAsync(199);
    expect(child.runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(child.runs).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1_000);
    child.last().fail(new Error('boom'));
    await vi.advanceTimersByTimeAsync(100);
    expect(child.runs).toHaveLength(4);
    await supervisor.stop();
  });

  it('randomises each delay within its lower half with jitter', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const supervisor = new Supervisor({ backoff: { initialMs: 100, jitter: true } });
    const child = controlled();
    supervisor.start('a', child.fn);
    child.last().fail(new Error('boom'));
    await vi.advanceTimersByTimeAsync(49);
    expect(child.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(child.runs).toHaveLength(2);
    await supervisor.stop();
  });

  it('restarts at once when initialMs is 0, before any timer runs', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    const child = controlled();
    supervisor.start('a', child.fn);
    child.last().fail(new Error('boom'));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(child.runs).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
    await supervisor.stop();
  });
});

describe('strategies', () => {
  it('one-for-all stops the others in reverse start order, then restarts all in start order', async () => {
    const { supervisor, events } = recorded({ strategy: 'one-for-all', backoff: { initialMs: 0 } });
    const a = controlled();
    const b = controlled();
    const c = controlled();
    supervisor.start('a', a.fn);
    supervisor.start('b', b.fn);
    supervisor.start('c', c.fn);
    events.length = 0;
    b.last().fail(new Error('boom'));
    await tick();
    expect(events).toEqual([
      'child-failed:b',
      'child-stopped:c',
      'child-stopped:a',
      'child-restarted:a',
      'child-restarted:b',
      'child-restarted:c',
    ]);
    expect(supervisor.children.map((child) => child.restarts)).toEqual([1, 1, 1]);
    expect([a.runs[0]!.token.isCancelled, c.runs[0]!.token.isCancelled]).toEqual([true, true]);
    await supervisor.stop();
  });

  it('restarts transient siblings of a one-for-all restart but not temporary ones', async () => {
    const supervisor = new Supervisor({ strategy: 'one-for-all', backoff: { initialMs: 0 } });
    const a = controlled();
    const t = controlled();
    const tmp = controlled();
    supervisor.start('a', a.fn);
    supervisor.start('t', t.fn, { restart: 'transient' });
    supervisor.start('tmp', tmp.fn, { restart: 'temporary' });
    a.last().fail(new Error('boom'));
    await tick();
    expect(supervisor.children.map(({ name, state, restarts }) => `${name}:${state}:${restarts}`)).toEqual([
      'a:running:1',
      't:running:1',
      'tmp:stopped:0',
    ]);
    await supervisor.stop();
  });

  it('rest-for-one restarts the failed child and those started after it only', async () => {
    const { supervisor, events } = recorded({ strategy: 'rest-for-one', backoff: { initialMs: 0 } });
    const a = controlled();
    const b = controlled();
    const c = controlled();
    supervisor.start('a', a.fn);
    supervisor.start('b', b.fn);
    supervisor.start('c', c.fn);
    events.length = 0;
    b.last().fail(new Error('boom'));
    await tick();
    expect(events).toEqual(['child-failed:b', 'child-stopped:c', 'child-restarted:b', 'child-restarted:c']);
    expect(a.runs).toHaveLength(1);
    expect(supervisor.children.map((child) => child.restarts)).toEqual([0, 1, 1]);
    await supervisor.stop();
  });

  it('keeps every child of a one-for-all restart in backoff until the delay has passed', async () => {
    const supervisor = new Supervisor({ strategy: 'one-for-all', backoff: { initialMs: 100 } });
    const a = controlled();
    const b = controlled();
    supervisor.start('a', a.fn);
    supervisor.start('b', b.fn);
    b.last().fail(new Error('boom'));
    await vi.advanceTimersByTimeAsync(99);
    expect(supervisor.children.map((child) => child.state)).toEqual(['backoff', 'backoff']);
    await vi.advanceTimersByTimeAsync(1);
    expect(supervisor.children.map((child) => `${child.state}:${child.restarts}`)).toEqual(['running:1', 'running:1']);
    await supervisor.stop();
  });

  it('takes children in backoff into a later rest-for-one restart and drops their old timer', async () => {
    const supervisor = new Supervisor({ strategy: 'rest-for-one', backoff: { initialMs: 100 } });
    const a = controlled();
    const b = controlled();
    const c = controlled();
    supervisor.start('a', a.fn);
    supervisor.start('b', b.fn);
    supervisor.start('c', c.fn);
    b.last().fail(new Error('b broke'));
    await vi.advanceTimersByTimeAsync(50);
    expect(supervisor.children.map((child) => child.state)).toEqual(['running', 'backoff', 'backoff']);
    a.last().fail(new Error('a broke'));
    await tick();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect([a.runs.length, b.runs.length, c.runs.length]).toEqual([1, 1, 1]);
    await vi.advanceTimersByTimeAsync(1);
    expect([a.runs.length, b.runs.length, c.runs.length]).toEqual([2, 2, 2]);
    await supervisor.stop();
  });

  it('waits for a stopped sibling to settle before its replacement starts', async () => {
    const supervisor = new Supervisor({ strategy: 'one-for-all', backoff: { initialMs: 0 } });
    const a = controlled();
    const slow = controlled({ stubborn: true });
    supervisor.start('a', a.fn);
    supervisor.start('slow', slow.fn);
    a.last().fail(new Error('boom'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(slow.last().token.isCancelled).toBe(true);
    expect(a.runs).toHaveLength(1);
    expect(slow.runs).toHaveLength(1);
    slow.last().finish();
    await tick();
    expect(a.runs).toHaveLength(2);
    expect(slow.runs).toHaveLength(2);
    slow.last().finish();
    await supervisor.stop();
  });

  it('abandons a sibling that does not settle within shutdownMs and restarts it', async () => {
    const { supervisor, payloads } = recorded({ strategy: 'one-for-all', backoff: { initialMs: 0 } });
    const a = controlled();
    const stuck = controlled({ stubborn: true });
    supervisor.start('a', a.fn);
    supervisor.start('stuck', stuck.fn, { shutdownMs: 500 });
    a.last().fail(new Error('boom'));
    await vi.advanceTimersByTimeAsync(499);
    expect(stuck.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(stuck.runs).toHaveLength(2);
    const stopped = payloads.find((event) => event.type === 'child-stopped' && event.name === 'stuck');
    expect(TimeoutError.is(stopped?.error)).toBe(true);
    stuck.runs[0]!.finish();
    const stopping = supervisor.stop();
    await vi.advanceTimersByTimeAsync(500);
    await stopping;
  });

  it('counts a one-for-all restart as one restart', async () => {
    const supervisor = new Supervisor({ strategy: 'one-for-all', maxRestarts: 1, backoff: { initialMs: 0 } });
    const a = controlled();
    const b = controlled();
    const c = controlled();
    supervisor.start('a', a.fn);
    supervisor.start('b', b.fn);
    supervisor.start('c', c.fn);
    a.last().fail(new Error('boom'));
    await tick();
    expect(supervisor.children.map((child) => child.state)).toEqual(['running', 'running', 'running']);
    b.last().fail(new Error('again'));
    await tick();
    await expect(supervisor.done).rejects.toThrow(SupervisorError);
  });

  it('absorbs the end of a sibling that ended while a group restart was under way', async () => {
    const supervisor = new Supervisor({ strategy: 'one-for-all', maxRestarts: 1, backoff: { initialMs: 0 } });
    const a = controlled();
    const b = controlled();
    supervisor.start('a', a.fn);
    supervisor.start('b', b.fn);
    const second = new Error('second');
    a.last().fail(new Error('first'));
    b.last().fail(second);
    await tick();
    expect(supervisor.children).toEqual([
      { name: 'a', state: 'running', restarts: 1, lastError: expect.any(Error) as unknown },
      { name: 'b', state: 'running', restarts: 1, lastError: second },
    ]);
    await supervisor.stop();
  });
});

describe('restart intensity', () => {
  it('gives up after more than maxRestarts restarts within withinMs and rejects done with the last failure as cause', async () => {
    const { supervisor, events } = recorded({ maxRestarts: 2, withinMs: 1_000, backoff: { initialMs: 0 } });
    const a = controlled();
    const b = controlled();
    supervisor.start('a', a.fn);
    supervisor.start('b', b.fn);
    const last = new Error('third');
    a.last().fail(new Error('first'));
    await vi.advanceTimersByTimeAsync(100);
    a.last().fail(new Error('second'));
    await vi.advanceTimersByTimeAsync(100);
    events.length = 0;
    a.last().fail(last);
    const error = await supervisor.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(SupervisorError.is(error)).toBe(true);
    expect((error as Error).cause).toBe(last);
    expect((error as Error).message).toMatch(/more than 2 restarts within 1000 ms/);
    expect(events).toEqual(['child-failed:a', 'child-stopped:b', 'gave-up:a']);
    expect(supervisor.children.map((child) => child.state)).toEqual(['stopped', 'stopped']);
    expect(b.last().token.isCancelled).toBe(true);
    expect(() => supervisor.start('c', controlled().fn)).toThrow(SupervisorError);
  });

  it('forgets restarts older than withinMs', async () => {
    const supervisor = new Supervisor({ maxRestarts: 1, withinMs: 1_000, backoff: { initialMs: 0 } });
    const a = controlled();
    supervisor.start('a', a.fn);
    for (let i = 0; i < 5; i++) {
      a.last().fail(new Error('boom'));
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(supervisor.children[0]).toMatchObject({ state: 'running', restarts: 5 });
    await supervisor.stop();
  });

  it('never restarts with maxRestarts 0: the first failure gives up', async () => {
    const supervisor = new Supervisor({ maxRestarts: 0 });
    const a = controlled();
    supervisor.start('a', a.fn);
    const boom = new Error('boom');
    a.last().fail(boom);
    await expect(supervisor.done).rejects.toMatchObject({ name: 'SupervisorError', cause: boom });
    expect(a.runs).toHaveLength(1);
  });

  it('stops the children in reverse start order when it gives up, abandoning one that does not settle', async () => {
    const supervisor = new Supervisor({ maxRestarts: 0 });
    const order: string[] = [];
    const a = controlled();
    const b = controlled({ stubborn: true });
    const c = controlled();
    supervisor.start('a', a.fn);
    supervisor.start('b', b.fn, { shutdownMs: 300 });
    supervisor.start('c', c.fn);
    supervisor.on('child-stopped', ({ name }) => order.push(name));
    a.last().fail(new Error('boom'));
    await tick();
    expect(order).toEqual(['c']);
    await vi.advanceTimersByTimeAsync(300);
    await expect(supervisor.done).rejects.toThrow(SupervisorError);
    expect(order).toEqual(['c', 'b']);
    b.last().finish();
  });
});

describe('stop', () => {
  it('cancels every child in reverse start order, waits for them and resolves done', async () => {
    const supervisor = new Supervisor();
    const order: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      supervisor.start(name, (token) =>
        new Promise<void>((resolve) => {
          token.onCancel(() => {
            order.push(name);
            resolve();
          });
        }),
      );
    }
    const first = supervisor.stop();
    expect(supervisor.stop()).toBe(first);
    await first;
    await supervisor.done;
    expect(order).toEqual(['c', 'b', 'a']);
    expect(supervisor.children.map((child) => child.state)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('waits for a slow child up to its shutdownMs', async () => {
    const supervisor = new Supervisor();
    const slow = controlled({ stubborn: true });
    supervisor.start('slow', slow.fn, { shutdownMs: 1_000 });
    let stopped = false;
    void supervisor.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toBe(true);
    slow.last().finish();
  });

  it('clears pending backoff timers', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 60_000 } });
    const a = controlled();
    supervisor.start('a', a.fn);
    a.last().fail(new Error('boom'));
    await tick();
    expect(vi.getTimerCount()).toBe(1);
    await supervisor.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(supervisor.children[0]?.state).toBe('stopped');
  });

  it('rejects a child started after stop with SupervisorError', async () => {
    const supervisor = new Supervisor();
    const stopping = supervisor.stop();
    expect(() => supervisor.start('late', controlled().fn)).toThrow(SupervisorError);
    await stopping;
    expect(() => supervisor.start('late', controlled().fn)).toThrow(/supervisor is stopped/);
  });

  it('stops when leaving an await using block', async () => {
    const a = controlled();
    let token: CancellationToken | undefined;
    {
      await using supervisor = new Supervisor();
      supervisor.start('a', a.fn);
      token = a.last().token;
    }
    expect(token.isCancelled).toBe(true);
  });

  it('stops when its signal fires and leaves no listener on it', async () => {
    const controller = new AbortController();
    const supervisor = new Supervisor({ signal: controller.signal });
    const a = controlled();
    supervisor.start('a', a.fn);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await supervisor.done;
    expect(a.last().token.isCancelled).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('detaches from its signal when stopped', async () => {
    const controller = new AbortController();
    const supervisor = new Supervisor({ signal: controller.signal });
    await supervisor.stop();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('is stopped at once when its signal has already fired', async () => {
    const supervisor = new Supervisor({ signal: AbortSignal.abort() });
    await supervisor.done;
    expect(() => supervisor.start('a', controlled().fn)).toThrow(SupervisorError);
  });

  it('does not restart a child that ends while the supervisor is stopping', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    const a = controlled();
    const b = controlled({ stubborn: true });
    supervisor.start('a', a.fn);
    supervisor.start('b', b.fn);
    const stopping = supervisor.stop();
    a.last().fail(new Error('late failure'));
    b.last().finish();
    await stopping;
    expect(a.runs).toHaveLength(1);
    expect(supervisor.children.map((child) => child.state)).toEqual(['stopped', 'stopped']);
  });
});

describe('bubble-up', () => {
  it('stops everything and rejects done with a child BubbleUp unchanged', async () => {
    class Interrupt extends BubbleUp {}
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    const a = controlled();
    const b = controlled();
    supervisor.start('a', a.fn, { restart: 'transient' });
    supervisor.start('b', b.fn);
    const interrupt = new Interrupt('interrupt');
    a.last().fail(interrupt);
    await expect(supervisor.done).rejects.toBe(interrupt);
    expect(a.runs).toHaveLength(1);
    expect(b.last().token.isCancelled).toBe(true);
    expect(supervisor.children.map((child) => child.lastError)).toEqual([undefined, undefined]);
  });
});

describe('events', () => {
  it('returns a function that removes the listener', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    const seen: string[] = [];
    const off = supervisor.on('child-failed', ({ name }) => seen.push(name));
    const a = controlled();
    supervisor.start('a', a.fn);
    a.last().fail(new Error('one'));
    await tick();
    off();
    off();
    a.last().fail(new Error('two'));
    await tick();
    expect(seen).toEqual(['a']);
    await supervisor.stop();
  });

  it('passes listeners { name } or { name, error } and nothing else', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    const seen: SupervisorEvent[] = [];
    supervisor.on('child-started', (event) => seen.push(event));
    supervisor.on('child-failed', (event) => seen.push(event));
    supervisor.on('child-restarted', (event) => seen.push(event));
    const a = controlled();
    supervisor.start('a', a.fn);
    const boom = new Error('boom');
    a.last().fail(boom);
    await tick();
    expect(seen).toEqual([{ name: 'a' }, { name: 'a', error: boom }, { name: 'a' }]);
    expect(Object.keys(seen[0]!)).toEqual(['name']);
    await supervisor.stop();
  });

  it('carries the failure in child-failed and gave-up payloads', async () => {
    const { supervisor, payloads } = recorded({ maxRestarts: 0 });
    const a = controlled();
    supervisor.start('a', a.fn);
    const boom = new Error('boom');
    a.last().fail(boom);
    await supervisor.done.catch(() => {});
    expect(payloads[1]).toEqual({ type: 'child-failed', name: 'a', error: boom });
    expect(payloads[2]?.type).toBe('gave-up');
    expect(SupervisorError.is(payloads[2]?.error)).toBe(true);
  });
});

describe('edge cases', () => {
  it('re-throws a listener error from a microtask and keeps supervising', async () => {
    const queued: (() => void)[] = [];
    const original = globalThis.queueMicrotask;
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => {
      if (callback.toString().includes('throw thrown')) queued.push(callback);
      else original(callback);
    });
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    supervisor.on('child-failed', () => {
      throw new Error('listener bug');
    });
    const a = controlled();
    supervisor.start('a', a.fn);
    a.last().fail(new Error('boom'));
    await tick();
    expect(a.runs).toHaveLength(2);
    expect(queued).toHaveLength(1);
    expect(() => queued[0]!()).toThrow('listener bug');
    await supervisor.stop();
  });

  it('reports what a cancel callback threw in the child-stopped event', async () => {
    const { supervisor, payloads } = recorded();
    const oops = new Error('callback bug');
    supervisor.start('a', (token) => {
      token.onCancel(() => {
        throw oops;
      });
      return new Promise<void>((resolve) => token.onCancel(() => resolve()));
    });
    await supervisor.stop();
    expect(payloads.at(-1)).toEqual({ type: 'child-stopped', name: 'a', error: oops });
  });

  it('waits for ever for a child with shutdownMs Infinity', async () => {
    const supervisor = new Supervisor();
    const slow = controlled({ stubborn: true });
    supervisor.start('slow', slow.fn, { shutdownMs: Infinity });
    let stopped = false;
    void supervisor.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(stopped).toBe(false);
    slow.last().finish();
    await tick();
    expect(stopped).toBe(true);
  });

  it('stops cleanly when stop() is called while a group restart is stopping siblings', async () => {
    const supervisor = new Supervisor({ strategy: 'one-for-all', backoff: { initialMs: 0 } });
    const a = controlled();
    const slow = controlled({ stubborn: true });
    supervisor.start('a', a.fn);
    supervisor.start('slow', slow.fn, { shutdownMs: 1_000 });
    a.last().fail(new Error('boom'));
    await tick();
    const stopping = supervisor.stop();
    slow.last().finish();
    await stopping;
    await supervisor.done;
    expect([a.runs.length, slow.runs.length]).toEqual([1, 1]);
    expect(supervisor.children.map((child) => child.state)).toEqual(['stopped', 'stopped']);
  });

  it('lets a BubbleUp during shutdown win over a plain stop', async () => {
    const supervisor = new Supervisor();
    const interrupt = new BubbleUp('interrupt');
    supervisor.start('a', (token) => new Promise<void>((_, reject) => token.onCancel(() => reject(interrupt))));
    await supervisor.stop();
    await expect(supervisor.done).rejects.toBe(interrupt);
  });

  it('hands children a token cancelled with a CancelledError reason when it stops them', async () => {
    const supervisor = new Supervisor();
    const a = controlled();
    supervisor.start('a', a.fn);
    await supervisor.stop();
    expect(CancelledError.is(a.last().token.reason)).toBe(true);
  });
});

describe('nesting', () => {
  it('supervises another supervisor and restarts it when it gives up', async () => {
    const parent = new Supervisor({ backoff: { initialMs: 0 } });
    const leaf = controlled();
    const inners: Supervisor[] = [];
    parent.start(
      'inner',
      async (token) => {
        await using inner = new Supervisor({ signal: token, maxRestarts: 0 });
        inners.push(inner);
        inner.start('leaf', leaf.fn);
        await inner.done;
      },
      { shutdownMs: Infinity },
    );
    leaf.last().fail(new Error('leaf broke'));
    await tick();
    expect(inners).toHaveLength(2);
    expect(parent.children[0]).toMatchObject({ state: 'running', restarts: 1 });
    expect(SupervisorError.is(parent.children[0]?.lastError)).toBe(true);
    await parent.stop();
    expect(leaf.last().token.isCancelled).toBe(true);
    await inners[1]!.done;
  });

  it('cancels a child token that came from a parent source as an outside cancellation', async () => {
    const supervisor = new Supervisor({ backoff: { initialMs: 0 } });
    const outside = new CancellationSource();
    let runs = 0;
    supervisor.start('a', async (token) => {
      runs++;
      using both = new CancellationSource(outside.token);
      const registration = token.onCancel(() => {
        both.cancel();
      });
      try {
        await new Promise<void>((_, reject) => both.token.onCancel((reason) => reject(reason)));
      } finally {
        registration[Symbol.dispose]();
      }
    }, { restart: 'transient' });
    outside.cancel();
    await tick();
    expect(runs).toBe(1);
    expect(supervisor.children[0]?.state).toBe('stopped');
    await supervisor.stop();
  });
});

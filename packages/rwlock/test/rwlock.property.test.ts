import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CancelledError } from '@x/core';
import { ClosedError, RWLock, type ReadGuard, type WriteGuard } from '@x/rwlock';
import { assertProperty, flush, sameTickSteps } from '../../../test-utils/races.js';

type Kind = 'read' | 'write';

interface Request {
  readonly seq: number;
  readonly kind: Kind;
  readonly controller: AbortController | undefined;
  /** Made by a downgrade: it continues a write, it is not a request of its own. */
  readonly derived: boolean;
  status: 'pending' | 'held' | 'released' | 'rejected';
  granted: number;
  error: unknown;
  guard: ReadGuard | WriteGuard | undefined;
}

/**
 * What every run checks, whatever the interleaving: readers and a writer never hold at once
 * (seen from the callers' side), grants follow request order whenever a writer is involved,
 * and a rejection is only ever a cancellation we caused or a close.
 */
class Harness {
  readonly lock = new RWLock();
  readonly requests: Request[] = [];
  readonly held: Request[] = [];
  readers = 0;
  writers = 0;
  grants = 0;
  closed = false;

  request(kind: Kind, controller: AbortController | undefined, derived = false): Request {
    const request: Request = {
      seq: this.requests.length,
      kind,
      controller,
      derived,
      status: 'pending',
      granted: -1,
      error: undefined,
      guard: undefined,
    };
    this.requests.push(request);
    return request;
  }

  enter(request: Request, guard: ReadGuard | WriteGuard | undefined): void {
    request.status = 'held';
    request.granted = this.grants++;
    request.guard = guard;
    if (request.kind === 'read') this.readers++;
    else this.writers++;
    expect(this.writers, 'writers holding at once').toBeLessThanOrEqual(1);
    if (this.writers === 1) expect(this.readers, 'readers holding beside a writer').toBe(0);
    if (guard !== undefined) this.held.push(request);
  }

  leave(request: Request): void {
    request.status = 'released';
    if (request.kind === 'read') this.readers--;
    else this.writers--;
    const index = this.held.indexOf(request);
    if (index !== -1) this.held.splice(index, 1);
  }

  reject(request: Request, error: unknown): void {
    request.status = 'rejected';
    request.error = error;
  }

  follow(request: Request, promise: Promise<ReadGuard | WriteGuard>): void {
    promise.then(
      (guard) => {
        this.enter(request, guard);
      },
      (error: unknown) => {
        this.reject(request, error);
      },
    );
  }

  release(index: number): void {
    const request = this.held[index % this.held.length];
    if (request === undefined) return;
    const guard = request.guard;
    this.leave(request);
    guard?.release();
  }

  downgrade(index: number): void {
    const request = this.held.find((r, i) => r.kind === 'write' && i >= index % Math.max(1, this.held.length));
    if (request === undefined) return;
    const reader = (request.guard as WriteGuard).downgrade();
    this.leave(request);
    this.enter(this.request('read', undefined, true), reader);
  }

  checkLockState(): void {
    expect(this.lock.isWriteLocked && this.lock.readers > 0).toBe(false);
    expect(this.lock.readers).toBeGreaterThanOrEqual(0);
  }

  /**
   * Once every continuation has run, the pending requests are exactly the queue, in order.
   * Then nobody may be stranded: a free lock has no queue, and unless a writer holds the lock
   * the head of the queue is a writer (a reader at the head would have been let in).
   */
  checkQuiescent(): void {
    const head = this.requests.find((r) => r.status === 'pending');
    expect(this.lock.waiting).toBe(this.requests.filter((r) => r.status === 'pending').length);
    if (head !== undefined && !this.lock.isWriteLocked) {
      expect(head.kind, `request ${head.seq} stranded at the head of the queue`).toBe('write');
      expect(this.lock.readers, `writer ${head.seq} stranded on a free lock`).toBeGreaterThan(0);
    }
  }

  /** Releases whatever is held until nobody waits any more. */
  async drain(): Promise<void> {
    for (let round = 0; round < this.requests.length + 2; round++) {
      while (this.held.length > 0) this.release(0);
      await flush();
      this.checkQuiescent();
      if (this.held.length === 0 && !this.requests.some((r) => r.status === 'pending')) break;
    }
  }

  checkEnd(): void {
    for (const request of this.requests) {
      expect(request.status === 'released' || request.status === 'rejected', `request ${request.seq} settled`).toBe(true);
      if (request.status === 'rejected') {
        const cancelled = CancelledError.is(request.error) && request.controller?.signal.aborted === true;
        const closed = ClosedError.is(request.error) && this.closed;
        expect(cancelled || closed, `request ${request.seq} rejected only by its own abort or close`).toBe(true);
      }
      if (request.controller !== undefined) expect(getEventListeners(request.controller.signal, 'abort')).toHaveLength(0);
    }
    for (const a of this.requests) {
      for (const b of this.requests) {
        if (a.derived || b.derived || a.granted === -1 || b.granted === -1) continue;
        if (a.seq < b.seq && (a.kind === 'write' || b.kind === 'write')) {
          expect(a.granted, `request ${a.seq} granted before ${b.seq}`).toBeLessThan(b.granted);
        }
      }
    }
    expect(this.lock.readers).toBe(0);
    expect(this.lock.isWriteLocked).toBe(false);
    expect(this.lock.waiting).toBe(0);
  }
}

type Op =
  | { readonly t: 'read' | 'write' | 'withRead' | 'withWrite'; readonly signal: number }
  | { readonly t: 'tryRead' | 'tryWrite' | 'close' }
  | { readonly t: 'release' | 'downgrade' | 'abort'; readonly k: number };

const SIGNALS = 2;
const NO_SIGNAL = SIGNALS;

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 40, arbitrary: fc.record({ t: fc.constantFrom('read', 'write'), signal: fc.nat(SIGNALS) }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constantFrom('withRead', 'withWrite'), signal: fc.nat(SIGNALS) }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constantFrom('tryRead', 'tryWrite') }) },
  { weight: 20, arbitrary: fc.record({ t: fc.constant('release'), k: fc.nat(7) }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant('downgrade'), k: fc.nat(7) }) },
  { weight: 30, arbitrary: fc.record({ t: fc.constant('abort'), k: fc.nat(SIGNALS - 1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('close') }) },
);

function apply(h: Harness, controllers: AbortController[], o: Op): void {
  switch (o.t) {
    case 'read':
    case 'write':
    case 'withRead':
    case 'withWrite': {
      const controller = o.signal === NO_SIGNAL ? undefined : controllers[o.signal];
      const options = controller === undefined ? undefined : { signal: controller.signal };
      const kind: Kind = o.t === 'read' || o.t === 'withRead' ? 'read' : 'write';
      const request = h.request(kind, controller);
      if (o.t === 'read') h.follow(request, h.lock.read(options));
      else if (o.t === 'write') h.follow(request, h.lock.write(options));
      else {
        const body = async (): Promise<void> => {
          h.enter(request, undefined);
          await Promise.resolve();
          await Promise.resolve();
          h.leave(request);
        };
        const run = o.t === 'withRead' ? h.lock.withRead(body, options) : h.lock.withWrite(body, options);
        run.then(undefined, (error: unknown) => {
          h.reject(request, error);
        });
      }
      break;
    }
    case 'tryRead':
    case 'tryWrite': {
      if (h.closed) {
        expect(() => (o.t === 'tryRead' ? h.lock.tryRead() : h.lock.tryWrite())).toThrow(ClosedError);
        break;
      }
      const guard = o.t === 'tryRead' ? h.lock.tryRead() : h.lock.tryWrite();
      if (guard !== undefined) h.enter(h.request(o.t === 'tryRead' ? 'read' : 'write', undefined), guard);
      break;
    }
    case 'release':
      h.release(o.k);
      break;
    case 'downgrade':
      h.downgrade(o.k);
      break;
    case 'abort': {
      controllers[o.k]?.abort(new Error(`abort ${o.k}`));
      controllers[o.k] = new AbortController();
      break;
    }
    case 'close':
      h.closed = true;
      h.lock.close('closed');
      break;
  }
  h.checkLockState();
}

describe('RWLock properties', () => {
  it('random same-tick operation sequences with aborts keep exclusion, order and liveness and end idle', async () => {
    await assertProperty(
      fc.asyncProperty(sameTickSteps(op, 40), async (steps) => {
        const h = new Harness();
        const controllers = Array.from({ length: SIGNALS }, () => new AbortController());
        for (const step of steps) {
          if (step.kind === 'op') apply(h, controllers, step.op);
          else {
            await flush();
            h.checkQuiescent();
          }
        }
        await flush();
        h.checkQuiescent();
        await h.drain();
        h.checkEnd();
      }),
    );
  });

  interface Task {
    readonly kind: Kind;
    readonly signal: boolean;
    readonly abort: boolean;
    readonly downgrade: boolean;
  }

  const task: fc.Arbitrary<Task> = fc.record({
    kind: fc.constantFrom<Kind>('read', 'read', 'write'),
    signal: fc.boolean(),
    abort: fc.boolean(),
    downgrade: fc.boolean(),
  });

  it('under any scheduling, holders never overlap a writer and every waiter that is not cancelled gets in', async () => {
    await assertProperty(
      fc.asyncProperty(fc.scheduler(), fc.array(task, { minLength: 1, maxLength: 7 }), async (s, tasks) => {
        const h = new Harness();
        const runs = tasks.map(async (t, i) => {
          await s.schedule(Promise.resolve(), `start ${i}`);
          const controller = t.signal ? new AbortController() : undefined;
          if (controller !== undefined && t.abort) {
            void s.schedule(Promise.resolve(), `abort ${i}`).then(() => {
              controller.abort();
            });
          }
          const request = h.request(t.kind, controller);
          let guard: ReadGuard | WriteGuard;
          try {
            const options = controller === undefined ? undefined : { signal: controller.signal };
            guard = t.kind === 'read' ? await h.lock.read(options) : await h.lock.write(options);
          } catch (error) {
            h.reject(request, error);
            return;
          }
          h.enter(request, undefined);
          await s.schedule(Promise.resolve(), `hold ${i}`);
          if (t.kind === 'write' && t.downgrade) {
            const reader = (guard as WriteGuard).downgrade();
            h.leave(request);
            const after = h.request('read', undefined, true);
            h.enter(after, undefined);
            await s.schedule(Promise.resolve(), `hold downgraded ${i}`);
            h.leave(after);
            reader.release();
            return;
          }
          h.leave(request);
          guard.release();
        });
        await s.waitFor(Promise.all(runs));
        for (const request of h.requests) {
          if (request.controller === undefined || !request.controller.signal.aborted) {
            expect(request.status, `task ${request.seq} got in`).toBe('released');
          }
        }
        h.checkEnd();
      }),
    );
  });
});

import {
  BubbleUp,
  CancellationSource,
  CancellationToken,
  CancelledError,
  TimeoutError,
  assertFunction,
  assertInteger,
  assertNumber,
  captureAsyncContext,
  describeValue,
  isCancellation,
  type AsyncContextSnapshot,
} from '@x/core';
import { SupervisorError } from './supervisor-error.js';

/** Which children a restart takes down and brings back, as in Erlang/OTP. */
export type SupervisorStrategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

/** When a child is restarted: always, only after a failure, or never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** A child's state in {@link Supervisor.children}. */
export type ChildState = 'running' | 'backoff' | 'stopped';

/** The events {@link Supervisor.on} can listen to. */
export type SupervisorEventType = 'child-started' | 'child-failed' | 'child-restarted' | 'child-stopped' | 'gave-up';

/** The delay between restarts of a child that keeps ending. */
export interface BackoffOptions {
  /** Delay before the first restart in a row, in ms. `0` restarts at once (then every restart is immediate). Default `100`. */
  readonly initialMs?: number | undefined;
  /** The longest delay, in ms. Default `10_000` (or `initialMs`, if larger). */
  readonly maxMs?: number | undefined;
  /** Each restart in a row waits `factor` times longer than the one before. Default `2`. */
  readonly factor?: number | undefined;
  /** Randomise each delay within its lower half (`delay/2 … delay`). Default `false`. */
  readonly jitter?: boolean | undefined;
  /** Same as {@link SupervisorOptions.resetAfterMs}; the top-level option wins when both are given. */
  readonly resetAfterMs?: number | undefined;
}

/** Options of {@link Supervisor}. */
export interface SupervisorOptions {
  /** Default `'one-for-one'`. */
  readonly strategy?: SupervisorStrategy | undefined;
  /** Restarts allowed within `withinMs`; one more and the supervisor gives up. `0` never restarts. `Infinity` never gives up. Default `3`. */
  readonly maxRestarts?: number | undefined;
  /** The sliding window of the restart intensity, in ms. Default `5_000`. */
  readonly withinMs?: number | undefined;
  /** Delays between restarts. */
  readonly backoff?: BackoffOptions | undefined;
  /** A child that has run this long (ms) without ending starts its backoff over at `initialMs`. Default: `withinMs`. */
  readonly resetAfterMs?: number | undefined;
  /** Stops the supervisor (as {@link Supervisor.stop}) when it fires. */
  readonly signal?: AbortSignal | CancellationToken | undefined;
}

/** Options of {@link Supervisor.start}. */
export interface ChildOptions {
  /** Default `'permanent'`. */
  readonly restart?: RestartType | undefined;
  /** How long (ms) a child may take to settle once its token is cancelled before it is abandoned. `Infinity` waits for ever. Default `5_000`. */
  readonly shutdownMs?: number | undefined;
}

/** One child in the {@link Supervisor.children} snapshot. */
export interface ChildStatus {
  readonly name: string;
  readonly state: ChildState;
  /** How many times the child has been started again after its first start. */
  readonly restarts: number;
  /** The last error the child failed with (`undefined` if it never failed). */
  readonly lastError: unknown;
}

/** What listeners receive: the child's name and, for failures and troubled stops, the error. */
export interface SupervisorEvent {
  /** The child the event is about (for `'gave-up'`: the child whose end made the supervisor give up). */
  readonly name: string;
  /** For `'child-failed'` the failure; for `'gave-up'` what `done` rejects with; for `'child-stopped'` a `TimeoutError` (abandoned), a `BubbleUp`, or what a cancel callback threw. */
  readonly error?: unknown;
}

/** A listener of {@link Supervisor.on}. */
export type SupervisorListener = (event: SupervisorEvent) => void;

/** The work a child runs; it receives a token that the supervisor cancels to stop it. */
export type ChildFunction = (token: CancellationToken) => unknown;

const STRATEGIES: readonly string[] = ['one-for-one', 'one-for-all', 'rest-for-one'];
const RESTART_TYPES: readonly string[] = ['permanent', 'transient', 'temporary'];
const EVENT_TYPES: readonly string[] = ['child-started', 'child-failed', 'child-restarted', 'child-stopped', 'gave-up'];

// Supervisor states.
const RUNNING = 0;
const STOPPING = 1;
const STOPPED = 2;

// How an instance ended (0: it has not).
const RETURNED = 1;
const CANCELLED = 2;
const FAILED = 3;
const BUBBLED = 4;
const ABANDONED = 5;

const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => {};

/** Objects and functions may be thenables: `Promise.resolve` reads their `then` once, safely. */
function mayBeThenable(value: unknown): boolean {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** Reads `instance.stopped` afresh (it may change inside a callback). */
function stopPromiseOf(instance: Instance): Promise<void> | null {
  return instance.stopped;
}

/** A pending delayed restart of one or more children. */
class Ticket {
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  attached: number;
  readonly children: readonly Child[];

  constructor(children: readonly Child[]) {
    this.children = children;
    this.attached = children.length;
  }
}

/** A child spec plus its run-time state. */
class Child {
  state: ChildState = 'running';
  restarts = 0;
  lastError: unknown = undefined;
  /** Restarts in a row, for the backoff. */
  consecutive = 0;
  startedAt = 0;
  instance: Instance | null = null;
  ticket: Ticket | null = null;
  readonly name: string;
  readonly fn: ChildFunction;
  readonly restart: RestartType;
  readonly shutdownMs: number;
  readonly context: AsyncContextSnapshot;

  constructor(name: string, fn: ChildFunction, restart: RestartType, shutdownMs: number, context: AsyncContextSnapshot) {
    this.name = name;
    this.fn = fn;
    this.restart = restart;
    this.shutdownMs = shutdownMs;
    this.context = context;
  }
}

/** One run of a child's function. */
class Instance {
  readonly source = new CancellationSource();
  ended = 0;
  error: unknown = undefined;
  /** Its end has been acted on (reported, restart decided). */
  handled = false;
  /** The supervisor cancelled it. */
  stopping = false;
  nextState: ChildState = 'stopped';
  stopped: Promise<void> | null = null;
  resolveStop: () => void = noop;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  cancelError: unknown = undefined;
  hasCancelError = false;
  /** Link in the supervisor's queue of ends waiting while a group restart is under way. */
  nextPending: Instance | null = null;
  readonly child: Child;

  constructor(child: Child) {
    this.child = child;
  }
}

/**
 * Keeps long-running tasks alive after Erlang/OTP: restarts children that end, with a restart
 * strategy, restart intensity and exponential backoff.
 *
 * A child is a function `fn(token)`; it runs until it returns or throws. The supervisor
 * restarts it according to its restart type (`permanent`: always; `transient`: only after a
 * failure; `temporary`: never) and the strategy (`one-for-one`: only that child;
 * `one-for-all`: every child; `rest-for-one`: that child and those started after it). More
 * than `maxRestarts` restarts within `withinMs` and the supervisor gives up: it stops every
 * child and `done` rejects with a {@link SupervisorError} whose `cause` is the last failure.
 *
 * **Cancellation**: `stop()`, `await using`, or the `signal` option firing stops every child
 * in reverse start order: its token is cancelled, and it is given `shutdownMs` to settle
 * before it is abandoned. A child ending with a cancellation it did not get from the
 * supervisor counts as a normal return. Backoff timers never outlive `stop()`.
 *
 * **Errors**: failures never become unhandled rejections: they are reported as
 * `'child-failed'` events, in `children[i].lastError`, and in `done` when the supervisor gives
 * up. A child's `BubbleUp` that is not a cancellation stops everything and `done` rejects with
 * it unchanged.
 *
 * @example
 * ```ts
 * const supervisor = new Supervisor({ strategy: 'one-for-one', maxRestarts: 5, withinMs: 10_000 });
 * supervisor.on('child-failed', ({ name, error }) => console.warn(name, error));
 * supervisor.start('poller', async (token) => { while (!token.isCancelled) await poll(token.signal); });
 * await supervisor.done; // after supervisor.stop(), or rejects when it gave up
 * ```
 */
export class Supervisor implements AsyncDisposable {
  /**
   * Settles once the supervisor has stopped and every child has settled or been abandoned.
   *
   * **Errors**: resolves after `stop()` (or the `signal`); rejects with a
   * {@link SupervisorError} (`cause` = the last failure) when restart intensity was exceeded,
   * or with a child's non-cancellation `BubbleUp` unchanged. Never an unhandled rejection
   * when nobody awaits it.
   */
  readonly done: Promise<void>;

  readonly #strategy: SupervisorStrategy;
  readonly #maxRestarts: number;
  readonly #withinMs: number;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: boolean;
  readonly #resetAfterMs: number;

  #state = RUNNING;
  readonly #children: Child[] = [];
  readonly #byName = new Map<string, Child>();
  /** Times of recent restarts (a queue from `#restartHead`), for the intensity check. */
  #restartTimes: number[] = [];
  #restartHead = 0;
  #lastFailure: unknown = undefined;
  /** A group restart is stopping children: ends are queued until it is done. */
  #busy = false;
  #pendingHead: Instance | null = null;
  #pendingTail: Instance | null = null;
  readonly #listeners = new Map<SupervisorEventType, readonly SupervisorListener[]>();
  #signalRegistration: Disposable | undefined = undefined;
  #error: unknown = undefined;
  #hasError = false;
  #culprit = '';
  /** Resolves when the shutdown is complete. */
  readonly #stopped: Promise<void>;
  #resolveStopped: () => void = noop;
  /** The reason every child token is cancelled with (one per supervisor: a stack trace per stop is costly). */
  #stopReason: CancelledError | undefined = undefined;
  #resolveDone: () => void = noop;
  #rejectDone: (error: unknown) => void = noop;

  /**
   * Creates a running supervisor with no children yet; add them with {@link Supervisor.start}.
   *
   * **Errors**: `TypeError`/`RangeError` naming the option for bad options: an unknown
   * `strategy`, a negative or non-integer `maxRestarts`, a non-positive `withinMs`, a negative
   * backoff delay, a `factor` below 1, `maxMs` below `initialMs`, a `signal` that is neither an
   * AbortSignal nor a token.
   */
  constructor(options: SupervisorOptions = {}) {
    const strategy = options.strategy ?? 'one-for-one';
    if (!STRATEGIES.includes(strategy)) {
      throw new TypeError(
        `Expected \`strategy\` to be 'one-for-one', 'one-for-all' or 'rest-for-one', got ${describeValue(strategy)}`,
      );
    }
    const maxRestarts = options.maxRestarts ?? 3;
    if (maxRestarts !== Infinity) assertInteger('maxRestarts', maxRestarts, 0);
    const withinMs = options.withinMs ?? 5_000;
    assertNumber('withinMs', withinMs, 0, true);
    const backoff = options.backoff ?? {};
    if (typeof backoff !== 'object' || (backoff as unknown) === null) {
      throw new TypeError(`Expected \`backoff\` to be an object, got ${describeValue(backoff)}`);
    }
    const initialMs = backoff.initialMs ?? 100;
    assertNumber('backoff.initialMs', initialMs, 0);
    const maxMs = backoff.maxMs ?? Math.max(10_000, initialMs);
    assertNumber('backoff.maxMs', maxMs, initialMs);
    const factor = backoff.factor ?? 2;
    assertNumber('backoff.factor', factor, 1);
    const jitter = backoff.jitter ?? false;
    if (typeof jitter !== 'boolean') {
      throw new TypeError(`Expected \`backoff.jitter\` to be a boolean, got ${describeValue(jitter)}`);
    }
    const resetAfterMs = options.resetAfterMs ?? backoff.resetAfterMs ?? withinMs;
    assertNumber('resetAfterMs', resetAfterMs, 0);
    const token = CancellationToken.from(options.signal);

    this.#strategy = strategy;
    this.#maxRestarts = maxRestarts;
    this.#withinMs = withinMs;
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#factor = factor;
    this.#jitter = jitter;
    this.#resetAfterMs = resetAfterMs;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.done.then(noop, noop);
    this.#stopped = new Promise<void>((resolve) => {
      this.#resolveStopped = resolve;
    });

    if (token.isCancelled) {
      void this.stop();
    } else if (token !== CancellationToken.none) {
      this.#signalRegistration = token.onCancel(() => {
        void this.stop();
      });
    }
  }

  /**
   * Starts a child: calls `fn(token)` now, and again whenever its restart type and the
   * strategy say so. Restarts run in the async context of this call.
   *
   * **Cancellation**: the supervisor cancels `token` to stop the child, then waits
   * `shutdownMs` for it to settle. A child ending with a cancellation it did not get from the
   * supervisor counts as a normal return.
   *
   * **Errors**: `SupervisorError` once the supervisor is stopping or stopped; `RangeError` when
   * a child of that name is running or in backoff (a stopped child's name can be reused);
   * `TypeError`/`RangeError` naming the argument for bad input. What `fn` throws is never
   * thrown here: it is a failure like a rejection.
   */
  start(name: string, fn: ChildFunction, options: ChildOptions = {}): void {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`Expected \`name\` to be a non-empty string, got ${describeValue(name)}`);
    }
    assertFunction('fn', fn);
    const restart = options.restart ?? 'permanent';
    if (!RESTART_TYPES.includes(restart)) {
      throw new TypeError(
        `Expected \`restart\` to be 'permanent', 'transient' or 'temporary', got ${describeValue(restart)}`,
      );
    }
    const shutdownMs = options.shutdownMs ?? 5_000;
    if (shutdownMs !== Infinity) assertNumber('shutdownMs', shutdownMs, 0);
    if (this.#state !== RUNNING) {
      throw new SupervisorError(
        `Cannot start child "${name}": the supervisor is ${this.#state === STOPPING ? 'stopping' : 'stopped'}`,
      );
    }
    const existing = this.#byName.get(name);
    if (existing !== undefined) {
      if (existing.state !== 'stopped') {
        throw new RangeError(`Expected \`name\` to be unused, got ${describeValue(name)}: that child is ${existing.state}`);
      }
      this.#children.splice(this.#children.indexOf(existing), 1);
    }
    const child = new Child(name, fn, restart, shutdownMs, captureAsyncContext());
    this.#children.push(child);
    this.#byName.set(name, child);
    this.#launch(child, false);
  }

  /**
   * Stops the supervisor: cancels pending restarts, then stops every child in reverse start
   * order (cancels its token and waits up to its `shutdownMs`, then abandons it). Resolves
   * when all have settled or been abandoned. Idempotent: every call returns the same promise.
   *
   * **Errors**: never rejects; how the supervisor ended is in {@link Supervisor.done}.
   */
  stop(): Promise<void> {
    return this.#terminate(undefined, false, '');
  }

  /** Same as {@link Supervisor.stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /**
   * Listens to an event type; returns a function that removes the listener.
   *
   * Every run of a child begins with `'child-started'` (first run) or `'child-restarted'`, and
   * ends with exactly one `'child-failed'` (it threw or rejected with an error that is not a
   * cancellation or `BubbleUp`) or `'child-stopped'` (anything else, also when the supervisor
   * stopped it). `'gave-up'` comes once every child has stopped, just before `done` rejects.
   *
   * **Errors**: a listener that throws does not disturb the supervisor; its error is
   * re-thrown from a microtask (like an error in an event handler).
   */
  on(type: SupervisorEventType, listener: SupervisorListener): () => void {
    if (!EVENT_TYPES.includes(type)) {
      throw new TypeError(
        `Expected \`type\` to be 'child-started', 'child-failed', 'child-restarted', 'child-stopped' or 'gave-up', got ${describeValue(type)}`,
      );
    }
    assertFunction('listener', listener);
    const listeners = this.#listeners;
    listeners.set(type, [...(listeners.get(type) ?? []), listener]);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const list = listeners.get(type) ?? [];
      const index = list.indexOf(listener);
      if (index === -1) return;
      const next = [...list.slice(0, index), ...list.slice(index + 1)];
      if (next.length === 0) listeners.delete(type);
      else listeners.set(type, next);
    };
  }

  /** A snapshot of every child, in start order: state, restart count and last error. */
  get children(): ChildStatus[] {
    return this.#children.map((child) => ({
      name: child.name,
      state: child.state,
      restarts: child.restarts,
      lastError: child.lastError,
    }));
  }

  #isRunning(): boolean {
    return this.#state === RUNNING;
  }

  #emit(type: SupervisorEventType, name: string, error: unknown, hasError: boolean): void {
    const list = this.#listeners.get(type);
    if (list === undefined) return;
    const event: SupervisorEvent = hasError ? { name, error } : { name };
    for (const listener of list) {
      try {
        listener(event);
      } catch (thrown) {
        queueMicrotask(() => {
          throw thrown;
        });
      }
    }
  }

  /** Runs a new instance of `child`. */
  #launch(child: Child, restarted: boolean): void {
    const instance = new Instance(child);
    child.instance = instance;
    child.ticket = null;
    child.state = 'running';
    child.startedAt = Date.now();
    if (restarted) child.restarts++;
    let result: unknown;
    try {
      result = restarted ? child.context.run(child.fn, instance.source.token) : child.fn(instance.source.token);
    } catch (error) {
      queueMicrotask(() => {
        this.#rejected(instance, error);
      });
      this.#emit(restarted ? 'child-restarted' : 'child-started', child.name, undefined, false);
      return;
    }
    if (mayBeThenable(result)) {
      Promise.resolve(result).then(
        () => {
          this.#settle(instance, RETURNED, undefined);
        },
        (error: unknown) => {
          this.#rejected(instance, error);
        },
      );
    } else {
      queueMicrotask(() => {
        this.#settle(instance, RETURNED, undefined);
      });
    }
    this.#emit(restarted ? 'child-restarted' : 'child-started', child.name, undefined, false);
  }

  #rejected(instance: Instance, error: unknown): void {
    const kind = isCancellation(error) ? CANCELLED : BubbleUp.is(error) ? BUBBLED : FAILED;
    this.#settle(instance, kind, error);
  }

  #settle(instance: Instance, kind: number, error: unknown): void {
    if (instance.ended !== 0) return;
    instance.ended = kind;
    instance.error = error;
    if (instance.stopping) {
      if (instance.timer !== undefined) {
        clearTimeout(instance.timer);
        instance.timer = undefined;
      }
      this.#ended(instance, instance.nextState);
      instance.resolveStop();
      return;
    }
    if (this.#busy) {
      if (this.#pendingTail === null) this.#pendingHead = instance;
      else this.#pendingTail.nextPending = instance;
      this.#pendingTail = instance;
      return;
    }
    this.#handleExit(instance);
  }

  /** Records that an instance ended (or was abandoned) and reports it. */
  #ended(instance: Instance, next: ChildState): void {
    instance.handled = true;
    const child = instance.child;
    if (child.instance === instance) child.instance = null;
    child.state = this.#state === RUNNING ? next : 'stopped';
    const kind = instance.ended;
    const name = child.name;
    if (kind === FAILED) {
      child.lastError = instance.error;
      this.#lastFailure = instance.error;
      this.#emit('child-failed', name, instance.error, true);
    } else if (kind === BUBBLED) {
      this.#emit('child-stopped', name, instance.error, true);
      void this.#terminate(instance.error, true, name);
    } else if (kind === ABANDONED) {
      this.#emit('child-stopped', name, instance.error, true);
    } else if (instance.hasCancelError) {
      this.#emit('child-stopped', name, instance.cancelError, true);
    } else {
      this.#emit('child-stopped', name, undefined, false);
    }
  }

  /** Acts on an instance that ended by itself: report, then restart or give up. */
  #handleExit(instance: Instance): void {
    const child = instance.child;
    const kind = instance.ended;
    if (this.#state !== RUNNING || kind === BUBBLED) {
      this.#ended(instance, 'stopped');
      return;
    }
    const restart = child.restart === 'permanent' || (child.restart === 'transient' && kind === FAILED);
    if (!restart) {
      this.#ended(instance, 'stopped');
      return;
    }
    const now = Date.now();
    if (this.#tooManyRestarts(now)) {
      this.#ended(instance, 'stopped');
      void this.#terminate(
        new SupervisorError(
          `Supervisor gave up: more than ${this.#maxRestarts} restart${this.#maxRestarts === 1 ? '' : 's'} within ${this.#withinMs} ms (child "${child.name}" ended last)`,
          { cause: this.#lastFailure },
        ),
        true,
        child.name,
      );
      return;
    }
    const delay = this.#delayFor(child, now);
    this.#ended(instance, 'backoff');
    // A listener may have stopped the supervisor.
    if (!this.#isRunning()) return;
    if (this.#strategy === 'one-for-one') {
      if (delay <= 0) this.#launch(child, true);
      else this.#schedule([child], delay);
      return;
    }
    const children = this.#children;
    const group: Child[] = [];
    for (let i = this.#strategy === 'one-for-all' ? 0 : children.indexOf(child); i < children.length; i++) {
      const other = children[i] as Child;
      if (other === child || other.state !== 'stopped') group.push(other);
    }
    void this.#restartGroup(group, delay);
  }

  /** True when one more restart now goes over the restart intensity (and records it). */
  #tooManyRestarts(now: number): boolean {
    const max = this.#maxRestarts;
    if (max === Infinity) return false;
    const times = this.#restartTimes;
    times.push(now);
    let head = this.#restartHead;
    while (head < times.length && now - (times[head] as number) >= this.#withinMs) head++;
    if (head >= 32 && head * 2 >= times.length) {
      this.#restartTimes = times.slice(head);
      head = 0;
    }
    this.#restartHead = head;
    return this.#restartTimes.length - head > max;
  }

  #delayFor(child: Child, now: number): number {
    if (now - child.startedAt >= this.#resetAfterMs) child.consecutive = 0;
    const n = ++child.consecutive;
    if (this.#initialMs === 0) return 0;
    const delay = Math.min(this.#maxMs, this.#initialMs * this.#factor ** (n - 1));
    return this.#jitter ? delay / 2 + Math.random() * (delay / 2) : delay;
  }

  /** Restarts `children` (in start order) after `delay` ms. */
  #schedule(children: readonly Child[], delay: number): void {
    if (delay <= 0) {
      for (const child of children) {
        if (this.#state !== RUNNING) return;
        if (child.state === 'backoff') this.#launch(child, true);
      }
      return;
    }
    const ticket = new Ticket(children);
    for (const child of children) {
      child.ticket = ticket;
      child.state = 'backoff';
    }
    ticket.timer = setTimeout(() => {
      ticket.timer = undefined;
      for (const child of ticket.children) {
        if (this.#state !== RUNNING) return;
        if (child.ticket === ticket) this.#launch(child, true);
      }
    }, delay);
  }

  /** Takes a child out of its pending delayed restart. */
  #detach(child: Child): void {
    const ticket = child.ticket;
    if (ticket === null) return;
    child.ticket = null;
    if (--ticket.attached === 0 && ticket.timer !== undefined) {
      clearTimeout(ticket.timer);
      ticket.timer = undefined;
    }
  }

  /** A one-for-all / rest-for-one restart: stop the others in reverse start order, then restart the group. */
  async #restartGroup(group: readonly Child[], delay: number): Promise<void> {
    this.#busy = true;
    for (let i = group.length - 1; i >= 0; i--) {
      if (this.#state !== RUNNING) break;
      const child = group[i] as Child;
      this.#detach(child);
      const instance = child.instance;
      if (instance !== null) await this.#stopInstance(instance, child.restart === 'temporary' ? 'stopped' : 'backoff');
    }
    this.#busy = false;
    if (this.#state !== RUNNING) return;
    this.#schedule(
      group.filter((child) => child.state === 'backoff' && child.instance === null),
      delay,
    );
    this.#drain();
  }

  /** Acts on the ends that arrived while a group restart was stopping children. */
  #drain(): void {
    let instance: Instance | null;
    while (!this.#busy && (instance = this.#pendingHead) !== null) {
      this.#pendingHead = instance.nextPending;
      if (this.#pendingHead === null) this.#pendingTail = null;
      instance.nextPending = null;
      if (!instance.handled) this.#handleExit(instance);
    }
  }

  /** Cancels an instance and waits until it settles or its `shutdownMs` runs out. */
  #stopInstance(instance: Instance, next: ChildState): Promise<void> {
    if (instance.stopped !== null) return instance.stopped;
    instance.stopping = true;
    instance.nextState = next;
    if (instance.ended !== 0) {
      // It ended by itself but its end waits in the queue: it is stopped now.
      if (!instance.handled) this.#ended(instance, next);
      return (instance.stopped = RESOLVED);
    }
    try {
      instance.source.cancel((this.#stopReason ??= new CancelledError('The child was stopped by its supervisor')));
    } catch (error) {
      instance.cancelError = error;
      instance.hasCancelError = true;
    }
    // A cancel callback may have stopped the supervisor, which shares this promise.
    const shared = stopPromiseOf(instance);
    if (shared !== null) return shared;
    const shutdownMs = instance.child.shutdownMs;
    return (instance.stopped = new Promise<void>((resolve) => {
      instance.resolveStop = resolve;
      if (shutdownMs !== Infinity) {
        instance.timer = setTimeout(() => {
          instance.timer = undefined;
          this.#abandon(instance);
        }, shutdownMs);
      }
    }));
  }

  #abandon(instance: Instance): void {
    if (instance.ended !== 0) return;
    instance.ended = ABANDONED;
    instance.error = new TimeoutError(
      `Child "${instance.child.name}" did not settle within ${instance.child.shutdownMs} ms of being cancelled and was abandoned`,
    );
    this.#ended(instance, instance.nextState);
    instance.resolveStop();
  }

  /** Starts stopping everything; the first call decides, a later `BubbleUp` overrides a plain stop or a give-up. */
  #terminate(error: unknown, hasError: boolean, culprit: string): Promise<void> {
    if (this.#state !== RUNNING) {
      if (hasError && this.#state === STOPPING && BubbleUp.is(error) && !BubbleUp.is(this.#error)) {
        this.#error = error;
        this.#hasError = true;
        this.#culprit = culprit;
      }
      return this.#stopped;
    }
    this.#state = STOPPING;
    this.#error = error;
    this.#hasError = hasError;
    this.#culprit = culprit;
    if (this.#signalRegistration !== undefined) {
      this.#signalRegistration[Symbol.dispose]();
      this.#signalRegistration = undefined;
    }
    for (const child of this.#children) {
      this.#detach(child);
      if (child.instance === null) child.state = 'stopped';
    }
    void this.#shutdown();
    return this.#stopped;
  }

  async #shutdown(): Promise<void> {
    const children = this.#children;
    for (let i = children.length - 1; i >= 0; i--) {
      const instance = (children[i] as Child).instance;
      if (instance !== null) await this.#stopInstance(instance, 'stopped');
    }
    this.#state = STOPPED;
    if (this.#hasError) {
      this.#emit('gave-up', this.#culprit, this.#error, true);
      this.#rejectDone(this.#error);
    } else {
      this.#resolveDone();
    }
    this.#resolveStopped();
  }
}

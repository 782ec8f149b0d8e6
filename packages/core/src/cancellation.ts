import { CancelledError, cancelledError } from './errors.js';

/** What `onCancel` callbacks receive: the reason the token was cancelled with. */
export type CancelCallback = (reason: unknown) => void;

/**
 * @internal A receiver of cancellation that is not a plain callback (no closure needed). It
 * also gets one `CancelledError` shared by every target of the same `cancel()`: capturing a
 * stack per waiter made aborting 1e5 waiters on one signal take seconds.
 */
export interface CancelTarget {
  cancelled(reason: unknown, error: CancelledError): void;
}

const CONSTRUCT: unique symbol = Symbol('CancellationToken.construct') as never;
const TOKEN_BRAND: unique symbol = Symbol.for('@x/core/CancellationToken') as never;

/** Stands for "a new CancelledError", made only when somebody looks (an Error's stack costs µs). */
const DEFAULT_REASON: unique symbol = Symbol('default reason') as never;

const NOOP_DISPOSABLE: Disposable = Object.freeze({ [Symbol.dispose]() {} });

/**
 * One `onCancel` registration: a node of the token's intrusive doubly linked list, so that
 * disposing it is O(1) whatever the number of registrations.
 */
class Registration implements Disposable {
  prev: Registration | null = null;
  next: Registration | null = null;
  owner: CancellationToken | null;
  readonly callback: CancelCallback | null;
  readonly target: CancelTarget | null;
  readonly child: CancellationToken | null;

  constructor(
    owner: CancellationToken,
    callback: CancelCallback | null,
    target: CancelTarget | null,
    child: CancellationToken | null,
  ) {
    this.owner = owner;
    this.callback = callback;
    this.target = target;
    this.child = child;
  }

  [Symbol.dispose](): void {
    const owner = this.owner;
    if (owner !== null) owner._unlink(this);
  }
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function'
  );
}

/** Tokens made from AbortSignals, so that one signal has one token and at most one listener. */
const fromSignal = new WeakMap<AbortSignal, CancellationToken>();

function rethrow(errors: unknown[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cancellation callbacks threw`);
}

/**
 * The read side of cancellation: observe whether (and why) work was cancelled.
 *
 * Get one from a {@link CancellationSource}, or adapt an `AbortSignal` with
 * {@link CancellationToken.from}. Every function an x primitive runs for you receives one as
 * its last argument; pass `token.signal` to `fetch` and Node APIs.
 *
 * **Cancellation**: callbacks registered with {@link CancellationToken.onCancel} run
 * synchronously, in registration order, inside the `cancel()` call (or the signal's `abort`
 * event). A token made from an AbortSignal keeps at most one listener on it, and only while
 * something is registered.
 */
export class CancellationToken {
  declare readonly [TOKEN_BRAND]: true;

  /** @internal */ _cancelled = false;
  /** @internal */ _reason: unknown = undefined;
  /** @internal */ _head: Registration | null = null;
  /** @internal */ _tail: Registration | null = null;
  /** @internal */ _size = 0;
  /** @internal Never cancelled (`CancellationToken.none`). */
  readonly _never: boolean;
  /** @internal The AbortSignal this token mirrors (tokens made by `from(signal)`). */
  readonly _external: AbortSignal | undefined;
  /** @internal Our one listener on `_external`, made on first need, attached only while something is registered. */
  _onAbort: (() => void) | undefined = undefined;
  /** @internal */ _listening = false;
  /** @internal The lazily created signal of a source's token. */
  _signal: AbortSignal | undefined = undefined;
  /** @internal This token's link in its parent's list, while it has a live parent. */
  _parentLink: Registration | null = null;

  /** Not for direct use (the key is private): tokens come from `CancellationSource`, `CancellationToken.from` or `CancellationToken.none`. */
  constructor(key: typeof CONSTRUCT, never: boolean, external: AbortSignal | undefined) {
    if (key !== CONSTRUCT) {
      throw new TypeError('CancellationToken cannot be constructed directly: use new CancellationSource().token');
    }
    this._never = never;
    this._external = external;
  }

  /** A token that is never cancelled. */
  static readonly none: CancellationToken = new CancellationToken(CONSTRUCT, true, undefined);

  /**
   * Adapts what a caller passed as `signal`: a token is returned unchanged; an `AbortSignal`
   * always maps to the same token (so it carries at most one listener of ours); `undefined`
   * gives {@link CancellationToken.none}. A token from another copy of `@x/core` is adapted
   * through its `signal`.
   *
   * **Errors**: `TypeError` when `value` is neither.
   */
  static from(value: AbortSignal | CancellationToken | undefined): CancellationToken {
    if (value instanceof CancellationToken) return value;
    if (value === undefined) return CancellationToken.none;
    if (isAbortSignal(value)) {
      let token = fromSignal.get(value);
      if (token === undefined) {
        token = new CancellationToken(CONSTRUCT, false, value);
        fromSignal.set(value, token);
      }
      return token;
    }
    if (CancellationToken.is(value)) return CancellationToken.from((value as CancellationToken).signal);
    throw new TypeError(
      `Expected \`signal\` to be an AbortSignal or a CancellationToken, got \`${String(value)}\` (${typeof value})`,
    );
  }

  /** True for a `CancellationToken` from any copy of `@x/core`. */
  static is(value: unknown): value is CancellationToken {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TOKEN_BRAND] === true;
  }

  /** Whether the token has been cancelled. */
  get isCancelled(): boolean {
    return this._cancelled || this._poll();
  }

  /** The reason passed to `cancel()` (or the signal's reason); `undefined` until cancelled. */
  get reason(): unknown {
    if (!this._cancelled) this._poll();
    if (this._reason === DEFAULT_REASON) this._reason = new CancelledError();
    return this._reason;
  }

  /**
   * Throws a {@link CancelledError} whose `cause` is the reason, if the token is cancelled.
   */
  throwIfCancelled(): void {
    if (this.isCancelled) throw cancelledError(this.reason);
  }

  /**
   * Runs `callback(reason)` when the token is cancelled — at once if it already is.
   *
   * Returns a `Disposable`: disposing it removes the registration in O(1) (a no-op once the
   * callback has run). Dispose every registration whose wait has ended; `using` does it for you.
   *
   * **Errors**: a callback that throws does not stop the others; the error is re-thrown by the
   * `cancel()` call that ran it (an `AggregateError` when several threw).
   */
  onCancel(callback: CancelCallback): Disposable {
    if (typeof callback !== 'function') {
      throw new TypeError(`Expected \`callback\` to be a function, got \`${String(callback)}\` (${typeof callback})`);
    }
    if (this._never) return NOOP_DISPOSABLE;
    if (this.isCancelled) {
      callback(this.reason);
      return NOOP_DISPOSABLE;
    }
    return this._register(callback, null, null);
  }

  /**
   * An `AbortSignal` that aborts (with this token's reason) when the token is cancelled.
   * Created on first use, once per token; a token made from a signal returns that signal.
   */
  get signal(): AbortSignal {
    if (this._external !== undefined) return this._external;
    let signal = this._signal;
    if (signal === undefined) {
      if (this._cancelled) {
        signal = AbortSignal.abort(this.reason);
      } else {
        const controller = new AbortController();
        signal = controller.signal;
        if (!this._never) {
          this._register((reason) => {
            controller.abort(reason);
          }, null, null);
        }
      }
      this._signal = signal;
    }
    return signal;
  }

  /** @internal Syncs with an external signal that aborted while nobody listened. */
  _poll(): boolean {
    if (this._cancelled) return true;
    const external = this._external;
    if (external !== undefined && external.aborted) {
      const errors: unknown[] = [];
      this._cancel(external.reason, errors);
      rethrow(errors);
      return true;
    }
    return false;
  }

  /** @internal */
  _register(callback: CancelCallback | null, target: CancelTarget | null, child: CancellationToken | null): Registration {
    const node = new Registration(this, callback, target, child);
    const tail = this._tail;
    if (tail === null) this._head = node;
    else {
      tail.next = node;
      node.prev = tail;
    }
    this._tail = node;
    if (this._size++ === 0 && this._external !== undefined && !this._listening) {
      this._listening = true;
      this._external.addEventListener('abort', (this._onAbort ??= this._makeOnAbort()));
    }
    return node;
  }

  /** @internal */
  _makeOnAbort(): () => void {
    return () => {
      const errors: unknown[] = [];
      this._cancel((this._external as AbortSignal).reason, errors);
      rethrow(errors);
    };
  }

  /** @internal */
  _unlink(node: Registration): void {
    const { prev, next } = node;
    if (prev === null) this._head = next;
    else prev.next = next;
    if (next === null) this._tail = prev;
    else next.prev = prev;
    node.prev = node.next = null;
    node.owner = null;
    if (--this._size === 0) this._stopListening();
  }

  /** @internal */
  _stopListening(): void {
    if (this._listening) {
      this._listening = false;
      (this._external as AbortSignal).removeEventListener('abort', this._onAbort as () => void);
    }
  }

  /** @internal Cancels this token and its subtree; callback errors are collected into `errors`. */
  _cancel(reason: unknown, errors: unknown[]): void {
    if (this._cancelled || this._never) return;
    this._cancelled = true;
    this._reason = reason;
    const link = this._parentLink;
    if (link !== null) {
      this._parentLink = null;
      link[Symbol.dispose]();
    }
    this._stopListening();
    // Every callback and descendant sees the same reason object.
    if (this._head !== null) reason = this.reason;
    let shared: CancelledError | undefined;
    // Pop from the front one at a time: a callback may dispose registrations further on.
    let node: Registration | null;
    while ((node = this._head) !== null) {
      const next = node.next;
      this._head = next;
      if (next === null) this._tail = null;
      else next.prev = null;
      node.next = null;
      node.owner = null;
      this._size--;
      if (node.child !== null) {
        node.child._cancel(reason, errors);
        continue;
      }
      try {
        if (node.target !== null) node.target.cancelled(reason, (shared ??= cancelledError(reason)));
        else (node.callback as CancelCallback)(reason);
      } catch (error) {
        errors.push(error);
      }
    }
  }
}
Object.defineProperty(CancellationToken.prototype, TOKEN_BRAND, { value: true });

/**
 * @internal Registers a non-closure receiver (used by the wait queue). Returns `undefined`
 * when the token can never be cancelled. Does not check whether it is already cancelled.
 */
export function registerTarget(token: CancellationToken, target: CancelTarget): Disposable | undefined {
  if (token._never) return undefined;
  return token._register(null, target, null);
}

/**
 * The write side of cancellation: owns a {@link CancellationToken} and cancels it.
 *
 * A source made with a `parent` is cancelled when the parent is (with the parent's reason);
 * cancelling it never touches the parent. A child of an already-cancelled parent is born
 * cancelled.
 *
 * **Cancellation**: `cancel()` has cancelled the whole subtree — every callback run, every
 * descendant cancelled — when it returns. Cancelling twice is a no-op: the first reason stays.
 *
 * @example
 * ```ts
 * using source = new CancellationSource(request.signal);
 * setTimeout(() => source.cancel(), 1_000).unref();
 * await fetch(url, { signal: source.token.signal });
 * ```
 */
export class CancellationSource implements Disposable {
  /** The token this source cancels. */
  readonly token: CancellationToken;

  constructor(parent?: AbortSignal | CancellationToken) {
    const token = new CancellationToken(CONSTRUCT, false, undefined);
    this.token = token;
    if (parent === undefined) return;
    const parentToken = parent instanceof CancellationToken ? parent : CancellationToken.from(parent);
    if (parentToken._never) return;
    if (parentToken.isCancelled) {
      token._cancelled = true;
      token._reason = parentToken.reason;
      return;
    }
    token._parentLink = parentToken._register(null, null, token);
  }

  /**
   * Cancels the token and every descendant. `reason` defaults to a new {@link CancelledError}.
   *
   * **Errors**: after every callback has run, re-throws what callbacks threw (one error as
   * is, several as an `AggregateError`).
   */
  cancel(reason?: unknown): void {
    const token = this.token;
    if (token._cancelled) return;
    const errors: unknown[] = [];
    token._cancel(reason === undefined ? DEFAULT_REASON : reason, errors);
    rethrow(errors);
  }

  /** Detaches from the parent (the token is not cancelled). Idempotent. */
  [Symbol.dispose](): void {
    const link = this.token._parentLink;
    if (link !== null) {
      this.token._parentLink = null;
      link[Symbol.dispose]();
    }
  }
}

/** @internal How many registrations a token holds (for leak tests). */
export function registrationCount(token: CancellationToken): number {
  return token._size;
}

/** True if `signal` (a token or an AbortSignal) is already cancelled. Cheap: no token is created. */
export function isAborted(signal: AbortSignal | CancellationToken | undefined): boolean {
  if (signal === undefined) return false;
  if (signal instanceof CancellationToken) return signal.isCancelled;
  if (isAbortSignal(signal)) return signal.aborted;
  return CancellationToken.from(signal).isCancelled;
}

/** The reason of an already-cancelled token or AbortSignal. */
export function abortReason(signal: AbortSignal | CancellationToken): unknown {
  return signal instanceof CancellationToken ? signal.reason : CancellationToken.from(signal).reason;
}

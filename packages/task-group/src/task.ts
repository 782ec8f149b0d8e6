/**
 * A child of a {@link TaskGroup}: awaitable like a promise, with a name.
 *
 * Awaiting a task is optional — the group already owns its outcome. A failing task never
 * becomes an unhandled rejection, whether or not anyone awaits it.
 *
 * **Cancellation**: a task is cancelled with its group (its function gets the group's token).
 * To cancel one task alone, give it a token of its own:
 * `tg.spawn((token) => work(new CancellationSource(token).token))`. A task that ends with a
 * cancellation is not a failure.
 *
 * **Errors**: a task rejects with what its function threw; a task that never started (its group
 * was failing or cancelled) rejects with `CancelledError`.
 */
export interface Task<T> extends PromiseLike<T> {
  /** The name given to `spawn`, for logs and debugging. */
  readonly name: string | undefined;
  /** Like `Promise#catch`. */
  catch<R = never>(onRejected?: ((error: unknown) => R | PromiseLike<R>) | null): Promise<T | R>;
  /** Like `Promise#finally`. */
  finally(onFinally?: (() => void) | null): Promise<T>;
}

/** Not started yet (waiting for a slot): `waiting` holds the promise of whoever awaits it. */
export const WAITING = 0;
/** Running or settled through a promise: `result` is that promise. */
export const PROMISED = 1;
/** Settled without a promise (a synchronous function, or never started). */
export const FULFILLED = 2;
export const REJECTED = 3;

/** The promise of a task someone awaits before it has started, with its resolvers. */
class Waiting<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T | PromiseLike<T>) => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * @internal The one implementation of {@link Task}. It keeps what the function returned (its
 * promise, or its synchronous outcome) and hands `then` straight to it: the group observes the
 * promise itself, so an unobserved failure can never go unhandled and a task costs no promise
 * of its own.
 */
export class TaskHandle<T> implements Task<T> {
  // Plain fields set in the constructor (no field initialisers): spawn runs this per task, and
  // it must stay cheap before the optimising compiler has caught up.
  declare readonly name: string | undefined;
  private declare state: number;
  private declare result: unknown;
  private declare waiting: Waiting<T> | undefined;

  constructor(name: string | undefined, state: number, result: unknown) {
    this.name = name;
    this.state = state;
    this.result = result;
    this.waiting = undefined;
  }

  get [Symbol.toStringTag](): string {
    return 'Task';
  }

  /** The function returned a promise (the group has attached its own handlers to it). */
  follow(promise: Promise<T>): void {
    this.state = PROMISED;
    this.result = promise;
    this.flush();
  }

  /** The function returned a plain value, or threw, or never ran. */
  settle(ok: boolean, result: unknown): void {
    this.state = ok ? FULFILLED : REJECTED;
    this.result = result;
    this.flush();
  }

  private flush(): void {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    this.waiting = undefined;
    waiting.resolve(this.outcome());
  }

  private outcome(): Promise<T> {
    switch (this.state) {
      case PROMISED:
        return this.result as Promise<T>;
      case FULFILLED:
        return Promise.resolve(this.result as T);
      case REJECTED:
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a task rejects with whatever its function threw
        return Promise.reject(this.result);
      default:
        return (this.waiting ??= new Waiting<T>()).promise;
    }
  }

  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((error: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.outcome().then(onFulfilled, onRejected);
  }

  catch<R = never>(onRejected?: ((error: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.outcome().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.outcome().finally(onFinally);
  }
}

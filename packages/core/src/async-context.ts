// Async-context capture for work that starts later than it was submitted. Node's
// AsyncResource is reached through `process.getBuiltinModule` (Node >= 20.16), never through a
// static `node:` import, so the package still loads in a browser bundle (where capture is a
// plain call). This file is the one place that looks it up.

/** A captured async context: `run` calls a function inside it. */
export interface AsyncContextSnapshot {
  /** Calls `fn(...args)` in the captured context (its `AsyncLocalStorage` values) and returns its result. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R;
}

/** An instance of {@link asyncContextBase}'s class: it holds the async context it was made in. */
export interface AsyncContextResource {
  /**
   * Calls `fn` with `thisArg` as `this` and `args` in the async context (the `AsyncLocalStorage`
   * values) of this object's construction, and returns its result.
   */
  runInAsyncScope<This, A extends unknown[], R>(fn: (this: This, ...args: A) => R, thisArg: This, ...args: A): R;
}

/** The class {@link asyncContextBase} returns; `type` names the resource for `async_hooks`. */
export type AsyncContextBase = new (type: string) => AsyncContextResource;

/** Outside Node: no async context to capture, the function is called as is. */
class PlainAsyncContext implements AsyncContextResource {
  runInAsyncScope<This, A extends unknown[], R>(fn: (this: This, ...args: A) => R, thisArg: This, ...args: A): R {
    return fn.apply(thisArg, args);
  }
}

let base: AsyncContextBase | undefined;

function loadBase(): AsyncContextBase {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:async_hooks') as { AsyncResource?: AsyncContextBase } | undefined;
  return mod?.AsyncResource ?? PlainAsyncContext;
}

/**
 * The base class for objects that capture the async context they are made in: Node's
 * `AsyncResource` (looked up once, on first call), or outside Node (no
 * `process.getBuiltinModule`) a class of the same shape whose `runInAsyncScope` calls the
 * function as is.
 *
 * For x packages whose queued entry should *be* its context snapshot: extending this class
 * instead of holding a {@link captureAsyncContext} snapshot saves one object per queued task.
 * Only `runInAsyncScope` is part of the contract; other `AsyncResource` members may be missing.
 *
 * @example
 * ```ts
 * class Entry extends asyncContextBase() {
 *   constructor(readonly fn: () => unknown) {
 *     super('my.entry'); // captures the caller's AsyncLocalStorage values
 *   }
 *   start(): unknown {
 *     return this.runInAsyncScope(this.fn, undefined);
 *   }
 * }
 * ```
 */
export function asyncContextBase(): AsyncContextBase {
  return (base ??= loadBase());
}

type SnapshotClass = new (type: string) => AsyncContextSnapshot;

let snapshotClass: SnapshotClass | null | undefined;

/**
 * The snapshot *is* the AsyncResource (a subclass made on first use), not a wrapper around one:
 * one object less per queued task. `null` outside Node, where {@link PLAIN} is shared.
 */
function loadSnapshotClass(): SnapshotClass | null {
  const Base = asyncContextBase();
  if (Base === PlainAsyncContext) return null;
  const NodeSnapshot = class NodeSnapshot extends Base implements AsyncContextSnapshot {
    run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
      return this.runInAsyncScope(fn, undefined, ...args);
    }
  };
  settleAsyncContextLayout(new NodeSnapshot('x.task'));
  return NodeSnapshot;
}

/**
 * Call once per subclass of {@link asyncContextBase}, with a throwaway instance: every later
 * instance of that class then keeps its async ids inline, 32 bytes less each on Node 20.
 *
 * Node's `AsyncResource` stores two numeric ids on the instance. V8 first gives such fields a
 * floating-point layout, where each value is a separate 16-byte heap number; storing one
 * non-number there once widens the layout of the class for good (small integers then sit in
 * the object itself). The instance's numbers are put back, and nothing else changes. A no-op
 * outside Node, or if `AsyncResource` keeps no numeric symbol-keyed fields.
 */
export function settleAsyncContextLayout(instance: AsyncContextResource): void {
  const fields = instance as unknown as Record<symbol, unknown>;
  for (const key of Object.getOwnPropertySymbols(instance)) {
    const value = fields[key];
    if (typeof value !== 'number') continue;
    fields[key] = null;
    fields[key] = value;
  }
}

const PLAIN: AsyncContextSnapshot = {
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    return fn(...args);
  },
};

/**
 * Captures the current async context (the `AsyncLocalStorage` values of the caller), so that
 * work queued now and started later runs in it — as Python's executor copies `contextvars`.
 *
 * Costs about 0.1–0.4 µs on Node; call it only when work really has to wait. Outside Node
 * (no `process.getBuiltinModule`) it returns a snapshot that calls the function as is.
 */
export function captureAsyncContext(): AsyncContextSnapshot {
  if (snapshotClass === undefined) snapshotClass = loadSnapshotClass();
  return snapshotClass === null ? PLAIN : new snapshotClass('x.task');
}

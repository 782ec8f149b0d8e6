// Async-context capture for work that starts later than it was submitted. Node's
// AsyncResource is reached through `process.getBuiltinModule` (Node >= 20.16), never through a
// static `node:` import, so the package still loads in a browser bundle (where capture is a
// plain call).

/** A captured async context: `run` calls a function inside it. */
export interface AsyncContextSnapshot {
  /** Calls `fn(...args)` in the captured context (its `AsyncLocalStorage` values) and returns its result. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R;
}

interface AsyncResourceLike {
  runInAsyncScope<A extends unknown[], R>(fn: (...args: A) => R, thisArg: unknown, ...args: A): R;
}
type AsyncResourceClass = new (type: string) => AsyncResourceLike;
type SnapshotClass = new (type: string) => AsyncContextSnapshot;

let snapshotClass: SnapshotClass | null | undefined;

/**
 * The snapshot *is* the AsyncResource (a subclass made on first use), not a wrapper around one:
 * one object less per queued task.
 */
function loadSnapshotClass(): SnapshotClass | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:async_hooks') as { AsyncResource?: AsyncResourceClass } | undefined;
  const AsyncResource = mod?.AsyncResource;
  if (AsyncResource === undefined) return null;
  return class NodeSnapshot extends AsyncResource implements AsyncContextSnapshot {
    run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
      return this.runInAsyncScope(fn, undefined, ...args);
    }
  };
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

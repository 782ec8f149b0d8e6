// Test helpers: observe a promise's state without awaiting it.

export interface Observed<T> {
  readonly promise: Promise<T>;
  state: 'pending' | 'fulfilled' | 'rejected';
  value: T | undefined;
  error: unknown;
}

/** Tracks `promise` (marking its rejection handled) so that tests can check its state after a tick. */
export function observe<T>(promise: Promise<T>): Observed<T> {
  const observed: Observed<T> = { promise, state: 'pending', value: undefined, error: undefined };
  void promise.then(
    (value) => {
      observed.state = 'fulfilled';
      observed.value = value;
    },
    (error: unknown) => {
      observed.state = 'rejected';
      observed.error = error;
    },
  );
  return observed;
}

/** Lets pending continuations run (a few microtask turns, no timers). */
export async function ticks(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

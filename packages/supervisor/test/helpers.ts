// Children whose runs the test ends by hand, and small helpers shared by the test files.
import { cancelledError, type CancellationToken } from '@x/core';
import { vi } from 'vitest';

/** One run of a controlled child. */
export interface Run {
  readonly token: CancellationToken;
  /** Ends the run normally. */
  readonly finish: () => void;
  /** Ends the run with `error`. */
  readonly fail: (error: unknown) => void;
  /** Whether the run has ended. */
  readonly ended: () => boolean;
}

/** A child function that records its runs. Runs end when the test says so or, unless `stubborn`, when their token is cancelled. */
export function controlled(options: { stubborn?: boolean } = {}): {
  fn: (token: CancellationToken) => Promise<void>;
  runs: Run[];
  last: () => Run;
} {
  const runs: Run[] = [];
  const fn = (token: CancellationToken): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let ended = false;
      const run: Run = {
        token,
        finish: () => {
          ended = true;
          resolve();
        },
        fail: (error) => {
          ended = true;
          reject(error);
        },
        ended: () => ended,
      };
      runs.push(run);
      if (options.stubborn !== true) {
        token.onCancel((reason) => {
          run.fail(cancelledError(reason));
        });
      }
    });
  return { fn, runs, last: () => runs.at(-1)! };
}

/** Lets every pending continuation run (fake timers stay where they are). */
export async function tick(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

// @x/supervisor: what a restart costs. No npm package offers an OTP-style supervisor, so the
// reference is a hand-written restart loop (no strategy, no intensity, no events, no token).
import { Supervisor } from '@x/supervisor';
import * as effection4 from 'effection4';

const failure = new Error('boom');

/** Runs one supervisor until its child has been restarted `ops` times. */
function restartCycles(ops, options, children = 1) {
  const supervisor = new Supervisor({ maxRestarts: Infinity, ...options, backoff: { initialMs: 0 } });
  let runs = 0;
  return new Promise((resolve) => {
    const idle = (token) => new Promise((r) => token.onCancel(() => r()));
    for (let i = 1; i < children; i++) supervisor.start(`idle-${i}`, idle);
    supervisor.start('worker', async (token) => {
      if (runs++ === ops) {
        resolve(supervisor.stop());
        return idle(token);
      }
      throw failure;
    });
  });
}

/** The same restart loop written with effection's structured concurrency (a child is an async `call`). */
function effectionLoop(effection) {
  return (ops) =>
    effection.run(function* () {
      for (let i = 0; i < ops; i++) {
        try {
          yield* effection.call(async () => {
            throw failure;
          });
        } catch {
          // restart
        }
      }
    });
}

const idleChild = (token) => new Promise((resolve) => token.onCancel(() => resolve()));

export default {
  suite: 'supervisor',
  scenarios: [
    {
      name: 'restart cycle: fail → backoff 0 → running (one-for-one)',
      ops: 100_000,
      ours: 'x',
      impls: {
        x: (ops) => restartCycles(ops, {}),
        'naive loop': async (ops) => {
          const child = async () => {
            throw failure;
          };
          for (let i = 0; i < ops; i++) {
            try {
              await child();
            } catch {
              // restart
            }
          }
        },
      },
    },
    {
      // effection 3 is left out: its `call` costs ~0.6 ms here, too slow for 20k iterations.
      name: 'restart cycle against a structured-concurrency peer (same fail → restart loop)',
      ops: 20_000,
      ours: 'x',
      impls: {
        x: (ops) => restartCycles(ops, {}),
        'naive loop': async (ops) => {
          const child = async () => {
            throw failure;
          };
          for (let i = 0; i < ops; i++) {
            try {
              await child();
            } catch {
              // restart
            }
          }
        },
        'effection 4 loop': effectionLoop(effection4),
      },
    },
    {
      name: 'restart cycle with restart intensity tracked (maxRestarts = ops, withinMs 60 s)',
      ops: 100_000,
      ours: 'x',
      impls: {
        x: (ops) => restartCycles(ops, { maxRestarts: ops + 1, withinMs: 60_000 }),
      },
    },
    {
      name: 'one-for-all restart of 8 children (per restart)',
      ops: 10_000,
      ours: 'x',
      impls: {
        x: (ops) => restartCycles(ops, { strategy: 'one-for-all' }, 8),
      },
    },
    {
      name: 'memory per running child',
      unit: 'bytes',
      ops: 20_000,
      ours: 'x',
      impls: {
        x: async (ops) => {
          globalThis.gc();
          const before = process.memoryUsage().heapUsed;
          const supervisor = new Supervisor();
          for (let i = 0; i < ops; i++) supervisor.start(`c${i}`, idleChild);
          globalThis.gc();
          const bytes = (process.memoryUsage().heapUsed - before) / ops;
          await supervisor.stop();
          return bytes;
        },
      },
    },
  ],
};

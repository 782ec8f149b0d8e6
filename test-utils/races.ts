// Shared helpers for race properties. Two kinds, both needed (STYLE.md):
// - `fc.scheduler()` properties: fast-check decides the order in which scheduled promises
//   resolve, and shrinks a failing interleaving;
// - random same-tick sequences: operations applied synchronously, one after another, with
//   explicit `flush` steps between batches. The scheduler alone misses lost wake-ups that
//   happen inside one tick (release + abort + acquire before any continuation runs).
import fc from 'fast-check';

// A `maxLength` written in a property is meant: without this, fast-check's default size
// ('small') caps generated arrays at about 10 items whatever `maxLength` says.
fc.configureGlobal({ ...fc.readConfigureGlobal(), defaultSizeToMaxWhenMaxSpecified: true });

/** Runs per property: 1000 by default (CI), `FC_RUNS` to change it locally. */
export const RUNS = Number(process.env['FC_RUNS'] ?? 1000);

/**
 * `fc.assert` with the project's run count. On failure fast-check's message carries the seed
 * and the counterexample path; it is also printed here so it survives truncated reporters.
 */
export async function assertProperty<Ts>(
  property: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>,
  parameters: fc.Parameters<Ts> = {},
): Promise<void> {
  const seed = parameters.seed ?? Date.now() ^ (Math.random() * 0x100000000);
  try {
    await fc.assert(property as fc.IAsyncPropertyWithHooks<Ts>, { numRuns: RUNS, ...parameters, seed });
  } catch (error) {
    console.error(`property failed: re-run with { seed: ${seed} }`);
    throw error;
  }
}

/** One step of a same-tick sequence: an operation, or a flush that lets continuations run. */
export type Step<Op> = { readonly kind: 'op'; readonly op: Op } | { readonly kind: 'flush' };

/** Sequences of operations with flushes sprinkled in (about one in four steps). */
export function sameTickSteps<Op>(op: fc.Arbitrary<Op>, maxLength = 40): fc.Arbitrary<Step<Op>[]> {
  const step: fc.Arbitrary<Step<Op>> = fc.oneof(
    { weight: 3, arbitrary: op.map((o) => ({ kind: 'op', op: o }) as const) },
    { weight: 1, arbitrary: fc.constant({ kind: 'flush' } as const) },
  );
  return fc.array(step, { maxLength });
}

/**
 * Applies the steps: every run of `op` steps happens synchronously in one tick; a `flush`
 * lets every pending continuation run. Ends with a flush.
 */
export async function runSteps<Op>(steps: readonly Step<Op>[], apply: (op: Op) => void): Promise<void> {
  for (const step of steps) {
    if (step.kind === 'flush') await flush();
    else apply(step.op);
  }
  await flush();
}

/** Lets every queued microtask and pending promise continuation run (two macrotask turns). */
export async function flush(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
}

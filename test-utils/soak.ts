// Helpers for *.soak.ts files (run by vitest.soak.config.ts in forks with --expose-gc).
import { getEventListeners } from 'node:events';

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('soak tests need --expose-gc (run them with pnpm test:soak)');
  collect();
  collect();
}

/** Heap growth in bytes across `body`, measured after forced collections. */
export async function heapGrowth(body: () => Promise<void> | void): Promise<number> {
  gc();
  const before = process.memoryUsage().heapUsed;
  await body();
  gc();
  return process.memoryUsage().heapUsed - before;
}

/** The heap used now, after forced collections. */
export function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

/** How many `abort` listeners an AbortSignal carries. */
export function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

import type { Job } from './job.js';

function unset(): never {
  throw new Error('worker handler used before it was set');
}

/**
 * One worker: the continuation the pool attaches to a running job's promise. Its two handlers
 * are made once per worker and reused for every job it runs, so running a job allocates no
 * closure. `job` is `null` while idle and while it runs a job started on the fast path (whose
 * caller holds the handlers' own promise instead of a queued job's).
 */
export class Worker {
  job: Job | null = null;
  fulfilled: (value: unknown) => unknown = unset;
  rejected: (error: unknown) => unknown = unset;
}

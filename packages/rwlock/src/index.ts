export { RWLock, type LockOptions } from './rwlock.js';
export type { ReadGuard } from './read-guard.js';
export type { WriteGuard } from './write-guard.js';
export { ClosedError } from './closed-error.js';

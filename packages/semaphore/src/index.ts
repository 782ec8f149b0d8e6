export { Semaphore, type AcquireOptions, type RunOptions } from './semaphore.js';
export { Mutex, type LockOptions } from './mutex.js';
export { Permit } from './permit.js';
export { ClosedError } from './closed-error.js';

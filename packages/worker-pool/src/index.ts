export {
  WorkerPool,
  type WorkerPoolOptions,
  type SubmitOptions,
  type CloseOptions,
  type IdleOptions,
} from './worker-pool.js';
export { ClosedError } from './closed-error.js';

export {
  BackgroundExecutor,
  type BackgroundExecutorOptions,
  type SubmitOptions,
  type SubmitFunction,
} from './background-executor.js';
export { ClosedError } from './closed-error.js';
export type { Task } from './task.js';

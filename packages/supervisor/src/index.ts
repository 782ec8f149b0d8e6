export {
  Supervisor,
  type SupervisorOptions,
  type SupervisorStrategy,
  type BackoffOptions,
  type ChildOptions,
  type ChildFunction,
  type RestartType,
  type ChildState,
  type ChildStatus,
  type SupervisorEvent,
  type SupervisorEventType,
  type SupervisorListener,
} from './supervisor.js';
export { SupervisorError } from './supervisor-error.js';

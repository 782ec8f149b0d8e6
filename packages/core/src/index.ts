export {
  CancellationSource,
  CancellationToken,
  isAborted,
  abortReason,
  type CancelCallback,
} from './cancellation.js';
export {
  BubbleUp,
  CancelledError,
  TimeoutError,
  isCancellation,
  isBubbleUp,
  cancelledError,
} from './errors.js';
export { WaitQueue, type WaitOptions, type WaitQueueHooks } from './wait-queue.js';
export {
  captureAsyncContext,
  asyncContextBase,
  settleAsyncContextLayout,
  type AsyncContextSnapshot,
  type AsyncContextBase,
  type AsyncContextResource,
} from './async-context.js';
export { assertInteger, assertNumber, assertTimeout, assertFunction, describeValue, MAX_TIMEOUT } from './validate.js';

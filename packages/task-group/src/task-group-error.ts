const BRAND: unique symbol = Symbol.for('@x/task-group/TaskGroupError') as never;

function describe(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * What a {@link TaskGroup} (and `map`, `any`) throws when tasks failed: every failure, in the
 * order they happened. Cancellations are never in `errors`; a failing body is.
 *
 * An `AggregateError`, so `errors` is the list; `cause` is the first failure. Recognise it with
 * {@link TaskGroupError.is}, which works across duplicate copies of the package.
 *
 * @example
 * ```ts
 * try {
 *   await TaskGroup.run(async (tg) => { tg.spawn(a); tg.spawn(b); });
 * } catch (error) {
 *   if (TaskGroupError.is(error)) for (const failure of error.errors) log(failure);
 * }
 * ```
 */
export class TaskGroupError extends AggregateError {
  declare readonly [BRAND]: true;

  constructor(errors: readonly unknown[], message?: string) {
    const count = errors.length;
    super(
      errors,
      message ?? (count === 0 ? 'No task succeeded' : `${count === 1 ? '1 task' : `${count} tasks`} failed; first: ${describe(errors[0])}`),
      count === 0 ? undefined : { cause: errors[0] },
    );
    this.name = 'TaskGroupError';
  }

  /** True for a `TaskGroupError` from any copy of `@x/task-group`. */
  static is(value: unknown): value is TaskGroupError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
Object.defineProperty(TaskGroupError.prototype, BRAND, { value: true });

// Argument checks shared by every x package, so that bad input gets the same clear message
// everywhere: ``Expected `permits` to be an integer from 1 and up, got `0` (number)``.

function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'function') text = '[function]';
  else if (typeof value === 'symbol' || typeof value === 'bigint') text = value.toString();
  else if (typeof value === 'object' && value !== null) text = Object.prototype.toString.call(value);
  else text = String(value);
  return `\`${text}\` (${value === null ? 'null' : typeof value})`;
}

/**
 * Throws unless `value` is an integer `>= min` (and `<= max`, when given).
 *
 * **Errors**: `TypeError` when `value` is not a number, `RangeError` when it is out of range or
 * not an integer. The message names `name` and the value received.
 */
export function assertInteger(name: string, value: unknown, min: number, max = Infinity): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be an integer from ${min} and up, got ${show(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `from ${min} and up` : `from ${min} to ${max}`;
    throw new RangeError(`Expected \`${name}\` to be an integer ${range}, got ${show(value)}`);
  }
}

/**
 * Throws unless `value` is a finite number `>= min` (strictly greater when `exclusive`).
 *
 * **Errors**: `TypeError` when `value` is not a number, `RangeError` otherwise.
 */
export function assertNumber(name: string, value: unknown, min = -Infinity, exclusive = false): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be a number, got ${show(value)}`);
  }
  if (!Number.isFinite(value) || (exclusive ? value <= min : value < min)) {
    const bound = min === -Infinity ? 'a finite number' : `a finite number ${exclusive ? 'above' : 'from'} ${min}`;
    throw new RangeError(`Expected \`${name}\` to be ${bound}, got ${show(value)}`);
  }
}

/** The longest timer Node runs as asked: a longer one fires after 1 ms, with a warning. */
export const MAX_TIMEOUT = 2_147_483_647;

/**
 * Throws unless `value` is a number of milliseconds from 0 to 2³¹−1 ({@link MAX_TIMEOUT}), the
 * range a timer can wait; `Infinity` too when `infinite` (meaning no limit).
 *
 * **Errors**: `TypeError` when `value` is not a number, `RangeError` otherwise. The message
 * names `name` and the value received.
 */
export function assertTimeout(name: string, value: unknown, infinite = false): asserts value is number {
  if (infinite && value === Infinity) return;
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be a number of milliseconds, got ${show(value)}`);
  }
  if (!(value >= 0 && value <= MAX_TIMEOUT)) {
    const range = `a finite number from 0 to ${MAX_TIMEOUT}${infinite ? ' (or Infinity)' : ''}`;
    throw new RangeError(`Expected \`${name}\` to be ${range}, got ${show(value)}`);
  }
}

/**
 * Throws a `TypeError` naming `name` unless `value` is a function.
 */
export function assertFunction(name: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') {
    throw new TypeError(`Expected \`${name}\` to be a function, got ${show(value)}`);
  }
}

/** The value as validation messages show it: `` `0` (number) ``. */
export function describeValue(value: unknown): string {
  return show(value);
}

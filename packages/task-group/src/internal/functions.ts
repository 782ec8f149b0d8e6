import { describeValue } from '@x/core';

/**
 * The functions of `race(fns)` / `any(fns)` as an array, checked: an iterable of at least one
 * function. Throws a `TypeError` / `RangeError` naming the argument otherwise.
 */
export function functionList<F>(name: string, fns: Iterable<F>): F[] {
  if (typeof fns !== 'object' || (fns as unknown) === null || typeof (fns as Partial<Iterable<F>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`Expected \`${name}\` to be an iterable of functions, got ${describeValue(fns)}`);
  }
  const list = Array.from(fns);
  if (list.length === 0) throw new RangeError(`Expected \`${name}\` to hold at least one function, got none`);
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== 'function') {
      throw new TypeError(`Expected \`${name}[${i}]\` to be a function, got ${describeValue(list[i])}`);
    }
  }
  return list;
}

import { describe, expect, it } from 'vitest';
import { MAX_TIMEOUT, assertFunction, assertInteger, assertNumber, assertTimeout, describeValue } from '@x/core';

describe('argument checks', () => {
  it('names the argument and the value received', () => {
    expect(() => assertInteger('permits', 0, 1)).toThrow(
      new RangeError('Expected `permits` to be an integer from 1 and up, got `0` (number)'),
    );
    expect(() => assertInteger('weight', 1.5, 1, 4)).toThrow('Expected `weight` to be an integer from 1 to 4, got `1.5` (number)');
    expect(() => assertInteger('permits', '2', 1)).toThrow(TypeError);
    expect(() => assertFunction('fn', 42)).toThrow(new TypeError('Expected `fn` to be a function, got `42` (number)'));
    expect(() => assertNumber('timeout', -1, 0)).toThrow(RangeError);
    expect(() => assertNumber('ttlMs', 0, 0, true)).toThrow('Expected `ttlMs` to be a finite number above 0, got `0` (number)');
    expect(() => assertNumber('priority', Infinity)).toThrow(RangeError);
  });

  it('accepts valid values', () => {
    expect(() => {
      assertInteger('permits', 3, 1);
      assertNumber('timeout', 0, 0);
      assertFunction('fn', () => {});
    }).not.toThrow();
  });

  it('checks a timeout against what a timer can wait: 0 to 2^31-1 ms, Infinity only when allowed', () => {
    expect(MAX_TIMEOUT).toBe(2 ** 31 - 1);
    for (const ok of [0, 1.5, MAX_TIMEOUT]) expect(() => assertTimeout('timeout', ok)).not.toThrow();
    expect(() => assertTimeout('timeout', Infinity, true)).not.toThrow();
    expect(() => assertTimeout('timeout', 2 ** 31)).toThrow(
      new RangeError('Expected `timeout` to be a finite number from 0 to 2147483647, got `2147483648` (number)'),
    );
    expect(() => assertTimeout('timeout', -1, true)).toThrow(
      'Expected `timeout` to be a finite number from 0 to 2147483647 (or Infinity), got `-1` (number)',
    );
    for (const bad of [Infinity, -Infinity, Number.NaN, -0.5]) expect(() => assertTimeout('timeout', bad)).toThrow(RangeError);
    expect(() => assertTimeout('delay', '5')).toThrow(new TypeError('Expected `delay` to be a number of milliseconds, got `"5"` (string)'));
  });

  it('shows strings, nulls, objects and functions readably', () => {
    expect(describeValue('a')).toBe('`"a"` (string)');
    expect(describeValue(null)).toBe('`null` (null)');
    expect(describeValue({})).toBe('`[object Object]` (object)');
    expect(describeValue(() => {})).toBe('`[function]` (function)');
    expect(describeValue(undefined)).toBe('`undefined` (undefined)');
  });
});

import { describe, expect, it } from 'vitest';
import { BubbleUp, CancelledError, TimeoutError, cancelledError, isBubbleUp, isCancellation } from '@x/core';

describe('errors', () => {
  it('sets name on every error class', () => {
    expect(new BubbleUp().name).toBe('BubbleUp');
    expect(new CancelledError().name).toBe('CancelledError');
    expect(new TimeoutError().name).toBe('TimeoutError');
  });

  it('makes CancelledError a BubbleUp and carries the cause', () => {
    const error = cancelledError('why');
    expect(error).toBeInstanceOf(BubbleUp);
    expect(error.cause).toBe('why');
    expect(isBubbleUp(error)).toBe(true);
  });

  it('recognises cancellations: CancelledError and any AbortError', () => {
    expect(isCancellation(new CancelledError())).toBe(true);
    expect(isCancellation(new DOMException('x', 'AbortError'))).toBe(true);
    const nodeAbort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(isCancellation(nodeAbort)).toBe(true);
    const controller = new AbortController();
    controller.abort();
    expect(isCancellation(controller.signal.reason)).toBe(true);
  });

  it('does not treat a timeout, a plain error or a non-error as a cancellation', () => {
    expect(isCancellation(new TimeoutError())).toBe(false);
    expect(isCancellation(new DOMException('x', 'TimeoutError'))).toBe(false);
    expect(isCancellation(new Error('x'))).toBe(false);
    expect(isCancellation('AbortError')).toBe(false);
    expect(isCancellation(null)).toBe(false);
    expect(isBubbleUp(new TimeoutError())).toBe(false);
  });

  it('treats a user subclass of BubbleUp as a bubble-up but not a cancellation', () => {
    class Interrupt extends BubbleUp {}
    expect(isBubbleUp(new Interrupt())).toBe(true);
    expect(isCancellation(new Interrupt())).toBe(false);
    expect(BubbleUp.is(new Interrupt())).toBe(true);
  });

  it('detects errors by brand across duplicate copies of @x/core', () => {
    const foreign = Object.assign(new Error('copy'), {
      [Symbol.for('@x/core/BubbleUp')]: true,
      [Symbol.for('@x/core/CancelledError')]: true,
    });
    expect(foreign instanceof CancelledError).toBe(false);
    expect(CancelledError.is(foreign)).toBe(true);
    expect(isCancellation(foreign)).toBe(true);
    expect(TimeoutError.is(Object.assign(new Error(), { [Symbol.for('@x/core/TimeoutError')]: true }))).toBe(true);
    expect(TimeoutError.is(new Error())).toBe(false);
  });
});

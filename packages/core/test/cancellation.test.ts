import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { CancellationSource, CancellationToken, CancelledError, isAborted, abortReason } from '@x/core';
import { registrationCount } from '../src/cancellation.js';

describe('CancellationSource', () => {
  it('starts uncancelled and cancels with the given reason', () => {
    const source = new CancellationSource();
    expect(source.token.isCancelled).toBe(false);
    expect(source.token.reason).toBeUndefined();
    source.cancel('stop');
    expect(source.token.isCancelled).toBe(true);
    expect(source.token.reason).toBe('stop');
  });

  it('uses a CancelledError as the default reason, the same object every time', () => {
    const source = new CancellationSource();
    source.cancel();
    const reason = source.token.reason;
    expect(reason).toBeInstanceOf(CancelledError);
    expect(source.token.reason).toBe(reason);
  });

  it('keeps the first reason when cancelled twice', () => {
    const source = new CancellationSource();
    const callback = vi.fn();
    source.token.onCancel(callback);
    source.cancel('first');
    source.cancel('second');
    expect(source.token.reason).toBe('first');
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it('runs callbacks in registration order with the reason', () => {
    const source = new CancellationSource();
    const calls: string[] = [];
    source.token.onCancel((r) => calls.push(`a:${String(r)}`));
    source.token.onCancel((r) => calls.push(`b:${String(r)}`));
    source.cancel('why');
    expect(calls).toEqual(['a:why', 'b:why']);
  });

  it('runs a callback at once when registered on a cancelled token', () => {
    const source = new CancellationSource();
    source.cancel('late');
    const callback = vi.fn();
    const registration = source.token.onCancel(callback);
    expect(callback).toHaveBeenCalledWith('late');
    registration[Symbol.dispose]();
  });

  it('does not run a disposed callback', () => {
    const source = new CancellationSource();
    const callback = vi.fn();
    source.token.onCancel(callback)[Symbol.dispose]();
    source.cancel();
    expect(callback).not.toHaveBeenCalled();
  });

  it('treats disposing a registration twice, or after it ran, as a no-op', () => {
    const source = new CancellationSource();
    const a = source.token.onCancel(() => {});
    const b = source.token.onCancel(() => {});
    a[Symbol.dispose]();
    a[Symbol.dispose]();
    expect(registrationCount(source.token)).toBe(1);
    source.cancel();
    b[Symbol.dispose]();
    expect(registrationCount(source.token)).toBe(0);
  });

  it('lets a callback dispose a later registration during cancel', () => {
    const source = new CancellationSource();
    const later = vi.fn();
    const registrations: Disposable[] = [];
    source.token.onCancel(() => registrations[0]?.[Symbol.dispose]());
    registrations.push(source.token.onCancel(later));
    source.cancel();
    expect(later).not.toHaveBeenCalled();
  });

  it('runs a callback registered during cancel at once', () => {
    const source = new CancellationSource();
    const inner = vi.fn();
    source.token.onCancel(() => source.token.onCancel(inner));
    source.cancel('r');
    expect(inner).toHaveBeenCalledWith('r');
  });

  it('runs every callback when one throws, then re-throws that error from cancel()', () => {
    const source = new CancellationSource();
    const boom = new Error('boom');
    const after = vi.fn();
    source.token.onCancel(() => {
      throw boom;
    });
    source.token.onCancel(after);
    expect(() => source.cancel()).toThrow(boom);
    expect(after).toHaveBeenCalled();
    expect(source.token.isCancelled).toBe(true);
  });

  it('throws an AggregateError when several callbacks throw, across the subtree', () => {
    const parent = new CancellationSource();
    parent.token.onCancel(() => {
      throw new Error('one');
    });
    const child = new CancellationSource(parent.token);
    child.token.onCancel(() => {
      throw new Error('two');
    });
    let caught: unknown;
    try {
      parent.cancel();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AggregateError);
    expect((caught as AggregateError).errors.map((e: Error) => e.message)).toEqual(['one', 'two']);
    expect(child.token.isCancelled).toBe(true);
  });

  it('throws TypeError for a non-function callback', () => {
    const source = new CancellationSource();
    expect(() => source.token.onCancel('x' as never)).toThrow(TypeError);
    expect(() => source.token.onCancel('x' as never)).toThrow(/`callback`/);
  });

  it('cannot be constructed as a bare token', () => {
    const Ctor = CancellationToken as unknown as new () => unknown;
    expect(() => new Ctor()).toThrow(TypeError);
  });
});

describe('parent and child', () => {
  it('cancels the child with the parent reason', () => {
    const parent = new CancellationSource();
    const child = new CancellationSource(parent.token);
    parent.cancel('p');
    expect(child.token.isCancelled).toBe(true);
    expect(child.token.reason).toBe('p');
  });

  it('gives a child the very same default reason object as its parent', () => {
    const parent = new CancellationSource();
    const child = new CancellationSource(parent.token);
    child.token.onCancel(() => {});
    parent.cancel();
    expect(child.token.reason).toBe(parent.token.reason);
  });

  it('never cancels the parent when the child is cancelled', () => {
    const parent = new CancellationSource();
    const child = new CancellationSource(parent.token);
    child.cancel();
    expect(parent.token.isCancelled).toBe(false);
    expect(registrationCount(parent.token)).toBe(0);
  });

  it('is born cancelled from a cancelled parent', () => {
    const parent = new CancellationSource();
    parent.cancel('already');
    const child = new CancellationSource(parent.token);
    expect(child.token.isCancelled).toBe(true);
    expect(child.token.reason).toBe('already');
  });

  it('is born cancelled from an aborted AbortSignal', () => {
    const controller = new AbortController();
    controller.abort('gone');
    const child = new CancellationSource(controller.signal);
    expect(child.token.reason).toBe('gone');
  });

  it('has cancelled the whole subtree, callbacks included, when cancel() returns', () => {
    const root = new CancellationSource();
    const order: string[] = [];
    const a = new CancellationSource(root.token);
    const b = new CancellationSource(a.token);
    const c = new CancellationSource(b.token);
    c.token.onCancel(() => order.push('c'));
    b.token.onCancel(() => order.push('b'));
    root.token.onCancel(() => order.push('root'));
    root.cancel();
    expect([a, b, c].every((s) => s.token.isCancelled)).toBe(true);
    expect(order.sort()).toEqual(['b', 'c', 'root']);
  });

  it('detaches from the parent when disposed, without cancelling', () => {
    const parent = new CancellationSource();
    const child = new CancellationSource(parent.token);
    expect(registrationCount(parent.token)).toBe(1);
    child[Symbol.dispose]();
    child[Symbol.dispose]();
    expect(registrationCount(parent.token)).toBe(0);
    parent.cancel();
    expect(child.token.isCancelled).toBe(false);
  });

  it('works with using', () => {
    const parent = new CancellationSource();
    {
      using child = new CancellationSource(parent.token);
      expect(child.token.isCancelled).toBe(false);
    }
    expect(registrationCount(parent.token)).toBe(0);
  });

  it('follows an AbortSignal parent', () => {
    const controller = new AbortController();
    const child = new CancellationSource(controller.signal);
    controller.abort('sig');
    expect(child.token.reason).toBe('sig');
  });

  it('ignores CancellationToken.none as a parent', () => {
    const child = new CancellationSource(CancellationToken.none);
    expect(child.token.isCancelled).toBe(false);
    child.cancel();
    expect(CancellationToken.none.isCancelled).toBe(false);
  });
});

describe('CancellationToken', () => {
  it('throwIfCancelled throws a CancelledError whose cause is the reason', () => {
    const source = new CancellationSource();
    expect(() => source.token.throwIfCancelled()).not.toThrow();
    const reason = new Error('why');
    source.cancel(reason);
    let caught: unknown;
    try {
      source.token.throwIfCancelled();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CancelledError);
    expect((caught as Error).cause).toBe(reason);
  });

  it('CancellationToken.none is never cancelled and keeps no registrations', () => {
    const registration = CancellationToken.none.onCancel(() => {});
    registration[Symbol.dispose]();
    expect(CancellationToken.none.isCancelled).toBe(false);
    expect(registrationCount(CancellationToken.none)).toBe(0);
    expect(CancellationToken.none.signal.aborted).toBe(false);
    expect(CancellationToken.from(undefined)).toBe(CancellationToken.none);
  });

  it('from(token) returns the token unchanged', () => {
    const token = new CancellationSource().token;
    expect(CancellationToken.from(token)).toBe(token);
  });

  it('from(signal) returns the same token for the same signal', () => {
    const signal = new AbortController().signal;
    expect(CancellationToken.from(signal)).toBe(CancellationToken.from(signal));
    expect(CancellationToken.from(signal).signal).toBe(signal);
  });

  it('from(signal) reflects an abort that happened while nothing was registered', () => {
    const controller = new AbortController();
    const token = CancellationToken.from(controller.signal);
    controller.abort('r');
    expect(token.isCancelled).toBe(true);
    expect(token.reason).toBe('r');
  });

  it('from(signal) uses the DOM AbortError as reason when abort() is called bare', () => {
    const controller = new AbortController();
    const token = CancellationToken.from(controller.signal);
    controller.abort();
    expect((token.reason as Error).name).toBe('AbortError');
  });

  it('from() rejects what is neither a signal nor a token', () => {
    expect(() => CancellationToken.from({} as never)).toThrow(TypeError);
    expect(() => CancellationToken.from(42 as never)).toThrow(/`signal`/);
  });

  it('keeps one listener on an AbortSignal while registrations exist, none after', () => {
    const controller = new AbortController();
    const token = CancellationToken.from(controller.signal);
    const registrations = Array.from({ length: 1000 }, () => token.onCancel(() => {}));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const registration of registrations) registration[Symbol.dispose]();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('runs registered callbacks when the AbortSignal aborts, then detaches', () => {
    const controller = new AbortController();
    const token = CancellationToken.from(controller.signal);
    const callback = vi.fn();
    token.onCancel(callback);
    controller.abort('now');
    expect(callback).toHaveBeenCalledWith('now');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('creates its signal lazily, once, aborting with the reason', () => {
    const source = new CancellationSource();
    expect(registrationCount(source.token)).toBe(0);
    const signal = source.token.signal;
    expect(source.token.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    source.cancel('why');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('why');
  });

  it('gives a cancelled token an already-aborted signal', () => {
    const source = new CancellationSource();
    source.cancel();
    expect(source.token.signal.aborted).toBe(true);
    expect(source.token.signal.reason).toBe(source.token.reason);
  });

  it('adapts a token from another copy of @x/core through its signal', () => {
    const controller = new AbortController();
    const foreign = {
      [Symbol.for('@x/core/CancellationToken')]: true,
      signal: controller.signal,
    };
    const token = CancellationToken.from(foreign as never);
    expect(token).toBe(CancellationToken.from(controller.signal));
    expect(CancellationToken.is(foreign)).toBe(true);
  });
});

describe('isAborted and abortReason', () => {
  it('read a token or a signal without creating listeners', () => {
    const controller = new AbortController();
    expect(isAborted(undefined)).toBe(false);
    expect(isAborted(controller.signal)).toBe(false);
    controller.abort('r');
    expect(isAborted(controller.signal)).toBe(true);
    expect(abortReason(controller.signal)).toBe('r');
    const source = new CancellationSource();
    source.cancel('t');
    expect(isAborted(source.token)).toBe(true);
    expect(abortReason(source.token)).toBe('t');
  });
});

describe('registrations at scale', () => {
  it('holds no registrations after 1e6 register/dispose cycles on one token', () => {
    const token = new CancellationSource().token;
    for (let i = 0; i < 1e6; i++) token.onCancel(() => {})[Symbol.dispose]();
    expect(registrationCount(token)).toBe(0);
  });

  it('holds no child links after 1e6 children are created and disposed', () => {
    const parent = new CancellationSource();
    for (let i = 0; i < 1e6; i++) new CancellationSource(parent.token)[Symbol.dispose]();
    expect(registrationCount(parent.token)).toBe(0);
  });

  it('adds one listener for a million concurrent waits on one signal, none once they end', () => {
    const controller = new AbortController();
    const registrations: Disposable[] = [];
    for (let i = 0; i < 1e6; i++) registrations.push(CancellationToken.from(controller.signal).onCancel(() => {}));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const registration of registrations) registration[Symbol.dispose]();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

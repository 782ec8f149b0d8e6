import { describe, expect, it } from 'vitest';
import { CancellationSource, CancellationToken, WaitQueue } from '@x/core';
import { registrationCount } from '../src/cancellation.js';
import { abortListeners, heapGrowth } from '../../../test-utils/soak.js';

describe('core soak', () => {
  it('keeps the heap flat over 1e6 register/dispose cycles on one token', async () => {
    const token = new CancellationSource().token;
    const growth = await heapGrowth(() => {
      for (let i = 0; i < 1e6; i++) token.onCancel(() => {})[Symbol.dispose]();
    });
    expect(registrationCount(token)).toBe(0);
    expect(growth).toBeLessThan(2_000_000);
  });

  it('keeps the heap flat over 1e6 child sources created and disposed', async () => {
    const parent = new CancellationSource();
    const growth = await heapGrowth(() => {
      for (let i = 0; i < 1e6; i++) new CancellationSource(parent.token)[Symbol.dispose]();
    });
    expect(registrationCount(parent.token)).toBe(0);
    expect(growth).toBeLessThan(2_000_000);
  });

  it('leaves no listener after 1e5 wait → abort cycles on one long-lived AbortSignal', async () => {
    const longLived = new AbortController();
    const queue = new WaitQueue<void>();
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < 1e5; i++) {
        const own = new CancellationSource(longLived.signal);
        const waiting = queue.wait(undefined, { signal: own.token });
        own.cancel();
        await waiting.catch(() => {});
        own[Symbol.dispose]();
      }
    });
    expect(queue.size).toBe(0);
    expect(abortListeners(longLived.signal)).toBe(0);
    expect(registrationCount(CancellationToken.from(longLived.signal))).toBe(0);
    expect(growth).toBeLessThan(2_000_000);
  });

  it('leaves no listener after 1e5 waits woken on one long-lived AbortSignal', async () => {
    const longLived = new AbortController();
    const queue = new WaitQueue<number>();
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < 1e5; i++) {
        const waiting = queue.wait(undefined, { signal: longLived.signal, timeout: 10_000 });
        queue.wake(i);
        await waiting;
      }
    });
    expect(abortListeners(longLived.signal)).toBe(0);
    expect(growth).toBeLessThan(2_000_000);
  });
});

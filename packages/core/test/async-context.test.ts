import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { captureAsyncContext } from '@x/core';

describe('captureAsyncContext', () => {
  it('runs later work in the context of the capturing call', async () => {
    const storage = new AsyncLocalStorage<string>();
    const snapshot = storage.run('submitter', () => captureAsyncContext());
    const seen = await storage.run('releaser', async () => {
      await Promise.resolve();
      return snapshot.run((suffix: string) => `${storage.getStore() ?? 'none'}${suffix}`, '!');
    });
    expect(seen).toBe('submitter!');
  });

  it('keeps the context through awaits inside the started work', async () => {
    const storage = new AsyncLocalStorage<number>();
    const snapshot = storage.run(7, () => captureAsyncContext());
    const value = await snapshot.run(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return storage.getStore();
    });
    expect(value).toBe(7);
  });
});

import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { describe, expect, it, vi } from 'vitest';
import { asyncContextBase, captureAsyncContext, settleAsyncContextLayout } from '@x/core';

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

  it('makes its snapshots from the class asyncContextBase returns', () => {
    expect(captureAsyncContext()).toBeInstanceOf(asyncContextBase());
  });
});

/** A minimal queue whose entries are their own context snapshots, as an x package builds one. */
class Entry extends asyncContextBase() {
  constructor(readonly fn: (this: Entry, suffix: string) => string) {
    super('test.entry');
  }

  start(suffix: string): string {
    return this.runInAsyncScope(this.fn, this, suffix);
  }
}

describe('asyncContextBase', () => {
  it("is Node's AsyncResource, looked up once", () => {
    expect(asyncContextBase()).toBe(AsyncResource);
    expect(asyncContextBase()).toBe(asyncContextBase());
  });

  it('runs each queued entry in the context of the call that made it', async () => {
    const storage = new AsyncLocalStorage<string>();
    const queue: Entry[] = [];
    const seen = function (this: Entry, suffix: string): string {
      return `${storage.getStore() ?? 'none'}${suffix}:${String(this instanceof Entry)}`;
    };
    for (const name of ['a', 'b']) storage.run(name, () => queue.push(new Entry(seen)));
    queue.push(new Entry(seen)); // made outside any context
    const results = await storage.run('drainer', async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return queue.map((entry) => entry.start('!'));
    });
    expect(results).toEqual(['a!:true', 'b!:true', 'none!:true']);
  });

  it('keeps the context through awaits inside the started function', async () => {
    const storage = new AsyncLocalStorage<number>();
    const entry = storage.run(3, () => new (asyncContextBase())('test.entry'));
    const value = await entry.runInAsyncScope(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return storage.getStore();
    }, undefined);
    expect(value).toBe(3);
  });
});

describe('settleAsyncContextLayout', () => {
  it('leaves every field as it was and the context working, for the settled instance and later ones', async () => {
    class Settled extends asyncContextBase() {
      declare readonly label: string;
      constructor(label: string) {
        super('test.settled');
        this.label = label;
      }
    }
    const storage = new AsyncLocalStorage<string>();
    const first = storage.run('first', () => new Settled('a'));
    const fields = (object: object): unknown[] => Object.getOwnPropertySymbols(object).map((key) => (object as Record<symbol, unknown>)[key]);
    const before = fields(first);
    expect(before.some((value) => typeof value === 'number')).toBe(true);
    settleAsyncContextLayout(first);
    expect(fields(first)).toEqual(before);
    const later = storage.run('later', () => new Settled('b'));
    expect(fields(later).filter((value) => typeof value === 'number')).toHaveLength(before.filter((value) => typeof value === 'number').length);
    const seen = await storage.run('drainer', async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return [first, later].map((entry) => entry.runInAsyncScope(() => `${entry.label}:${storage.getStore() ?? 'none'}`, undefined));
    });
    expect(seen).toEqual(['a:first', 'b:later']);
  });
});

describe('asyncContextBase without process.getBuiltinModule', () => {
  /** A fresh copy of the module, loaded while `process.getBuiltinModule` is missing. */
  async function loadWithoutBuiltins(): Promise<typeof import('../src/async-context.js')> {
    const proc = process as { getBuiltinModule?: unknown };
    const saved = proc.getBuiltinModule;
    vi.resetModules();
    proc.getBuiltinModule = undefined;
    try {
      const mod = await import('../src/async-context.js');
      mod.asyncContextBase(); // the lookup happens here, while it is missing
      mod.captureAsyncContext();
      return mod;
    } finally {
      proc.getBuiltinModule = saved;
      vi.resetModules();
    }
  }

  it('falls back to a class that calls the function with thisArg and args', async () => {
    const { asyncContextBase: fallbackBase } = await loadWithoutBuiltins();
    const Base = fallbackBase();
    expect(Base).not.toBe(AsyncResource);
    const resource = new Base('test.entry');
    expect(resource).not.toBeInstanceOf(AsyncResource);
    const self = { tag: 'self' };
    const result = resource.runInAsyncScope(
      function (this: typeof self, a: number, b: string) {
        return [this, a, b] as const;
      },
      self,
      1,
      'two',
    );
    expect(result).toEqual([self, 1, 'two']);
    expect(result[0]).toBe(self);
  });

  it('runs the function as is, in the context of its caller, not the one it was made in', async () => {
    const { asyncContextBase: fallbackBase, captureAsyncContext: fallbackCapture } = await loadWithoutBuiltins();
    const storage = new AsyncLocalStorage<string>();
    const resource = storage.run('maker', () => new (fallbackBase())('test.entry'));
    const snapshot = storage.run('maker', () => fallbackCapture());
    storage.run('caller', () => {
      expect(resource.runInAsyncScope(() => storage.getStore(), undefined)).toBe('caller');
      expect(snapshot.run((x: number) => `${storage.getStore() ?? 'none'}${x}`, 1)).toBe('caller1');
    });
  });

  it('lets a subclass add fields and methods', async () => {
    const { asyncContextBase: fallbackBase } = await loadWithoutBuiltins();
    class Job extends fallbackBase() {
      next: Job | null = null;
      constructor(readonly fn: (n: number) => number) {
        super('test.job');
      }
      start(n: number): number {
        return this.runInAsyncScope(this.fn, undefined, n);
      }
    }
    const job = new Job((n) => n * 2);
    expect(job.start(21)).toBe(42);
    expect(job.next).toBeNull();
  });
});

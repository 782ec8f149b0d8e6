// @x/core: token and registration costs against the AbortSignal equivalents users write today.
import { CancellationSource, CancellationToken } from '@x/core';

const noop = () => {};
let sink = 0;

export default {
  suite: 'core',
  scenarios: [
    {
      name: 'create a source and cancel it',
      ops: 200_000,
      ours: 'x CancellationSource',
      impls: {
        'x CancellationSource': async (ops) => {
          for (let i = 0; i < ops; i++) {
            const source = new CancellationSource();
            source.cancel();
            if (source.token.isCancelled) sink++;
          }
        },
        AbortController: async (ops) => {
          for (let i = 0; i < ops; i++) {
            const controller = new AbortController();
            controller.abort();
            if (controller.signal.aborted) sink++;
          }
        },
      },
    },
    {
      name: 'register and dispose a callback on a long-lived token',
      ops: 500_000,
      ours: 'x onCancel',
      impls: {
        'x onCancel': async (ops) => {
          const token = new CancellationSource().token;
          for (let i = 0; i < ops; i++) token.onCancel(noop)[Symbol.dispose]();
        },
        'x onCancel on a signal token': async (ops) => {
          const token = CancellationToken.from(new AbortController().signal);
          for (let i = 0; i < ops; i++) token.onCancel(noop)[Symbol.dispose]();
        },
        'AbortSignal add/removeEventListener': async (ops) => {
          const signal = new AbortController().signal;
          for (let i = 0; i < ops; i++) {
            signal.addEventListener('abort', noop);
            signal.removeEventListener('abort', noop);
          }
        },
      },
    },
    {
      name: '1000 concurrent waits on one long-lived AbortSignal: register all, dispose all',
      ops: 1_000,
      ours: 'x CancellationToken.from(signal)',
      impls: {
        'x CancellationToken.from(signal)': async (ops) => {
          const signal = new AbortController().signal;
          const registrations = [];
          for (let i = 0; i < ops; i++) registrations.push(CancellationToken.from(signal).onCancel(() => {}));
          for (const registration of registrations) registration[Symbol.dispose]();
        },
        'AbortSignal add/removeEventListener': async (ops) => {
          const signal = new AbortController().signal;
          const listeners = [];
          for (let i = 0; i < ops; i++) {
            const listener = () => {};
            listeners.push(listener);
            signal.addEventListener('abort', listener);
          }
          for (const listener of listeners) signal.removeEventListener('abort', listener);
        },
      },
    },
    {
      name: 'create and dispose a child of a long-lived parent',
      ops: 200_000,
      ours: 'x child CancellationSource',
      impls: {
        'x child CancellationSource': async (ops) => {
          const parent = new CancellationSource().token;
          for (let i = 0; i < ops; i++) new CancellationSource(parent)[Symbol.dispose]();
        },
        'AbortController + parent listener': async (ops) => {
          const parent = new AbortController().signal;
          for (let i = 0; i < ops; i++) {
            const child = new AbortController();
            const forward = () => child.abort(parent.reason);
            parent.addEventListener('abort', forward);
            parent.removeEventListener('abort', forward);
          }
        },
        'AbortSignal.any': async (ops) => {
          const parent = new AbortController().signal;
          for (let i = 0; i < ops; i++) if (!AbortSignal.any([parent]).aborted) sink++;
        },
      },
    },
    {
      name: 'cancel a parent with 10 children, each with a callback',
      ops: 20_000,
      ours: 'x CancellationSource tree',
      impls: {
        'x CancellationSource tree': async (ops) => {
          for (let i = 0; i < ops; i++) {
            const root = new CancellationSource();
            for (let c = 0; c < 10; c++) new CancellationSource(root.token).token.onCancel(noop);
            root.cancel();
          }
        },
        'AbortController tree': async (ops) => {
          for (let i = 0; i < ops; i++) {
            const root = new AbortController();
            for (let c = 0; c < 10; c++) {
              const child = new AbortController();
              root.signal.addEventListener('abort', () => child.abort(root.signal.reason), { once: true });
              child.signal.addEventListener('abort', noop, { once: true });
            }
            root.abort();
          }
        },
        'AbortSignal.any tree': async (ops) => {
          for (let i = 0; i < ops; i++) {
            const root = new AbortController();
            for (let c = 0; c < 10; c++) AbortSignal.any([root.signal]).addEventListener('abort', noop, { once: true });
            root.abort();
          }
        },
      },
    },
  ],
};
export { sink };

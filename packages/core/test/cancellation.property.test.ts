import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CancellationSource } from '@x/core';
import { registrationCount } from '../src/cancellation.js';
import { assertProperty } from '../../../test-utils/races.js';

// Model-based: a random forest of sources, random cancels, disposes and registrations. The
// model says which nodes are cancelled (a node is cancelled when it, or an ancestor it was
// still attached to at that time, was cancelled) and how often every callback ran.
type Op =
  | { kind: 'child'; parent: number }
  | { kind: 'cancel'; node: number }
  | { kind: 'detach'; node: number }
  | { kind: 'register'; node: number }
  | { kind: 'unregister'; index: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('child' as const), parent: fc.nat(20) }),
  fc.record({ kind: fc.constant('cancel' as const), node: fc.nat(20) }),
  fc.record({ kind: fc.constant('detach' as const), node: fc.nat(20) }),
  fc.record({ kind: fc.constant('register' as const), node: fc.nat(20) }),
  fc.record({ kind: fc.constant('unregister' as const), index: fc.nat(40) }),
);

interface ModelNode {
  parent: number | null;
  cancelled: boolean;
  reason: unknown;
}

describe('cancellation tree (model-based)', () => {
  it('agrees with a model of cancel, detach and registration', async () => {
    await assertProperty(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const sources = [new CancellationSource()];
        const model: ModelNode[] = [{ parent: null, cancelled: false, reason: undefined }];
        const registrations: { node: number; disposable: Disposable; calls: number; disposed: boolean }[] = [];

        const cancelModel = (index: number, reason: unknown): void => {
          const node = model[index]!;
          if (node.cancelled) return;
          node.cancelled = true;
          node.reason = reason;
          model.forEach((child, i) => {
            if (child.parent === index) cancelModel(i, reason);
          });
        };

        for (const o of ops) {
          if (o.kind === 'child') {
            const parent = o.parent % sources.length;
            sources.push(new CancellationSource(sources[parent]!.token));
            const p = model[parent]!;
            model.push({ parent: p.cancelled ? null : parent, cancelled: p.cancelled, reason: p.reason });
          } else if (o.kind === 'cancel') {
            const node = o.node % sources.length;
            const reason = { node };
            sources[node]!.cancel(reason);
            cancelModel(node, reason);
          } else if (o.kind === 'detach') {
            const node = o.node % sources.length;
            sources[node]![Symbol.dispose]();
            model[node]!.parent = null;
          } else if (o.kind === 'register') {
            const node = o.node % sources.length;
            const entry = { node, disposable: undefined as unknown as Disposable, calls: 0, disposed: false };
            entry.disposable = sources[node]!.token.onCancel(() => {
              entry.calls++;
            });
            registrations.push(entry);
          } else if (registrations.length > 0) {
            const entry = registrations[o.index % registrations.length]!;
            entry.disposable[Symbol.dispose]();
            entry.disposed = true;
          }
          // Detached nodes are also no longer children in the model once cancelled.
          model.forEach((n) => {
            if (n.cancelled) n.parent = null;
          });
        }

        sources.forEach((source, i) => {
          expect(source.token.isCancelled).toBe(model[i]!.cancelled);
          if (model[i]!.cancelled) expect(source.token.reason).toBe(model[i]!.reason);
        });
        for (const entry of registrations) {
          expect(entry.calls).toBeLessThanOrEqual(1);
          if (!entry.disposed) expect(entry.calls).toBe(model[entry.node]!.cancelled ? 1 : 0);
        }
        sources.forEach((source, i) => {
          const live =
            registrations.filter((r) => r.node === i && !r.disposed && r.calls === 0).length +
            model.filter((n) => n.parent === i).length;
          expect(registrationCount(source.token)).toBe(model[i]!.cancelled ? 0 : live);
        });
      }),
    );
  });
});

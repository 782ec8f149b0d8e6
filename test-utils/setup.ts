// Shared by every test project. A test fails when, during it:
// - a promise rejection went unhandled,
// - a process warning was emitted (MaxListenersExceededWarning and friends),
// - a timer or handle it started is still alive after it ended (real or fake timers).
import { afterEach, beforeEach, expect, vi } from 'vitest';

const unhandled: unknown[] = [];
const warnings: Error[] = [];

process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});
process.on('warning', (warning) => {
  warnings.push(warning);
});

const TRACKED = new Set(['Timeout', 'Immediate', 'TCPWRAP', 'TCPServerWrap', 'FSReqCallback', 'ChildProcess']);

function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) {
    if (TRACKED.has(type)) counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

let before = new Map<string, number>();

function leakedSince(baseline: Map<string, number>): string[] {
  const leaked: string[] = [];
  for (const [type, count] of countResources()) {
    const was = baseline.get(type) ?? 0;
    if (count > was) leaked.push(`${type} x${count - was}`);
  }
  return leaked;
}

beforeEach(() => {
  unhandled.length = 0;
  warnings.length = 0;
  before = countResources();
});

afterEach(async () => {
  let fakeTimersLeft = 0;
  if (vi.isFakeTimers()) {
    fakeTimersLeft = vi.getTimerCount();
    vi.clearAllTimers();
    vi.useRealTimers();
  }
  // Let rejections that are about to go unhandled surface, and closed handles go away.
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));

  let leaked = leakedSince(before);
  if (leaked.length > 0) {
    // Vitest's runner arms a 100 ms throttle timer of its own around hooks; give such
    // short-lived timers time to go before calling anything a leak.
    await new Promise<void>((resolve) => setTimeout(resolve, 250));
    leaked = leakedSince(before);
  }
  const rejections = unhandled.splice(0);
  const emitted = warnings.splice(0);
  expect(rejections, 'unhandled rejections during the test').toEqual([]);
  expect(
    emitted.map((w) => `${w.name}: ${w.message}`),
    'process warnings during the test',
  ).toEqual([]);
  expect(fakeTimersLeft, 'fake timers still pending at the end of the test').toBe(0);
  expect(leaked, 'timers or handles still alive at the end of the test').toEqual([]);
});

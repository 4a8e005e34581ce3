/**
 * DelayLine (the SFU's addDelayMs knob): work runs in push order, never more than 1 ms before its delay has
 * passed; no delay runs it at once; clear() drops what waits. Real timers: nowMs() reads perf_hooks, which fake
 * timers do not replace, so the assertions bound lateness loosely (shared machines) and earliness strictly.
 */
import { describe, expect, it } from 'vitest';

import { DelayLine } from '../../../reference-server/sfu/delay-line.js';
import { nowMs } from '../../../src/metrics/clock.js';

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('DelayLine', () => {
  it('runs work at once, in the same tick, when the delay is 0 or negative', () => {
    const ran: number[] = [];
    new DelayLine(0).push(() => ran.push(0));
    new DelayLine(-5).push(() => ran.push(-5));
    expect(ran).toEqual([0, -5]);
  });

  it('holds work for the delay (at most 1 ms early) and runs it in push order', async () => {
    const delayMs = 30;
    const line = new DelayLine(delayMs);
    const ran: { id: number; elapsedMs: number }[] = [];
    for (let id = 0; id < 5; id += 1) {
      const pushedMs = nowMs();
      line.push(() => ran.push({ id, elapsedMs: nowMs() - pushedMs }));
      await settle(3);
    }
    await settle(delayMs + 200);
    expect(ran.map((r) => r.id)).toEqual([0, 1, 2, 3, 4]);
    for (const r of ran) {
      expect(r.elapsedMs).toBeGreaterThanOrEqual(delayMs - 1);
      expect(r.elapsedMs).toBeLessThan(delayMs + 150);
    }
    line.clear();
  });

  it('does not run work synchronously inside push', () => {
    const line = new DelayLine(20);
    let ran = false;
    line.push(() => {
      ran = true;
    });
    expect(ran).toBe(false);
    line.clear();
  });

  it('clear() drops waiting work, and the line takes new work afterwards', async () => {
    const line = new DelayLine(10);
    const ran: string[] = [];
    line.push(() => ran.push('dropped'));
    line.clear();
    line.clear(); // idempotent
    await settle(40);
    expect(ran).toEqual([]);
    line.push(() => ran.push('after'));
    await settle(60);
    expect(ran).toEqual(['after']);
  });

  it('arms again after running empty: work pushed later still leaves on time', async () => {
    const line = new DelayLine(10);
    const ran: number[] = [];
    line.push(() => ran.push(1));
    await settle(50);
    expect(ran).toEqual([1]);
    const pushedMs = nowMs();
    let elapsedMs = 0;
    line.push(() => {
      elapsedMs = nowMs() - pushedMs;
      ran.push(2);
    });
    await settle(60);
    expect(ran).toEqual([1, 2]);
    expect(elapsedMs).toBeGreaterThanOrEqual(9);
  });

  it('work pushed by work that runs waits its own full delay', async () => {
    const line = new DelayLine(15);
    const ran: { id: string; atMs: number }[] = [];
    const startMs = nowMs();
    line.push(() => {
      ran.push({ id: 'outer', atMs: nowMs() - startMs });
      line.push(() => ran.push({ id: 'inner', atMs: nowMs() - startMs }));
    });
    await settle(120);
    expect(ran.map((r) => r.id)).toEqual(['outer', 'inner']);
    expect((ran[1]?.atMs ?? 0) - (ran[0]?.atMs ?? 0)).toBeGreaterThanOrEqual(14);
  });
});

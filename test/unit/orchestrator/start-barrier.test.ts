/** `--start-at`: reading the flag (each bad form named), and the wait on a clock that the test moves. */
import { describe, expect, it } from 'vitest';

import { GlassbenchError } from '../../../src/errors.js';
import { sleep } from '../../../src/metrics/clock.js';
import { missedStartError, parseStartAt, waitForStart } from '../../../src/orchestrator/start-barrier.js';

/** 2026-12-01T12:00:00Z */
const NOW_MS = Date.UTC(2026, 11, 1, 12, 0, 0);

function flagErrorOf(text: string): string {
  try {
    parseStartAt(text, NOW_MS);
  } catch (error) {
    expect(error).toBeInstanceOf(GlassbenchError);
    expect((error as GlassbenchError).code).toBe('INVALID_INPUT');
    return (error as Error).message;
  }
  throw new Error(`${text} was accepted`);
}

/** a clock that only the fake sleep moves; records each sleep asked for */
function fakeClock(startMs: number): { nowMs: () => number; sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    nowMs: () => now,
    sleeps,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms + 2; // a timer wakes a little late
    },
  };
}

describe('parseStartAt', () => {
  it('reads ISO 8601 in UTC, with an offset, with fractions, and epoch milliseconds', () => {
    expect(parseStartAt('2026-12-01T12:05:00Z', NOW_MS).atMs).toBe(NOW_MS + 300_000);
    expect(parseStartAt('2026-12-01T13:05:00+01:00', NOW_MS).atMs).toBe(NOW_MS + 300_000);
    expect(parseStartAt('2026-12-01T07:35-04:30', NOW_MS).atMs).toBe(NOW_MS + 300_000);
    expect(parseStartAt('2026-12-01T12:05:00.25Z', NOW_MS).atMs).toBe(NOW_MS + 300_250);
    expect(parseStartAt(String(NOW_MS + 60_000), NOW_MS)).toEqual({
      text: String(NOW_MS + 60_000),
      atMs: NOW_MS + 60_000,
    });
  });

  it('names the flag, the value and the reason for each bad form', () => {
    expect(flagErrorOf('2026-12-01T12:05:00')).toBe(
      '--start-at 2026-12-01T12:05:00: the time needs a zone (Z or +hh:mm): every shard must read the same instant',
    );
    expect(flagErrorOf('2026-02-30T12:00:00Z')).toBe('--start-at 2026-02-30T12:00:00Z: not a real date and time');
    expect(flagErrorOf('2026-12-01T24:00:00Z')).toBe('--start-at 2026-12-01T24:00:00Z: not a real date and time');
    expect(flagErrorOf('2026-12-01T12:05:00+25:00')).toMatch(/zone \+25:00 is not an offset/);
    expect(flagErrorOf('in 5 minutes')).toBe(
      '--start-at in 5 minutes: expected ISO 8601 with a zone (2026-12-01T14:00:00Z) or Unix epoch milliseconds',
    );
    expect(flagErrorOf(String(Math.round(NOW_MS / 1000) + 60))).toMatch(
      /looks like Unix seconds \(2026-12-01T12:01:00\.000Z\); give milliseconds$/,
    );
  });

  it('refuses an instant already past, and one more than a day ahead', () => {
    expect(flagErrorOf('2026-12-01T11:59:30Z')).toBe(
      '--start-at 2026-12-01T11:59:30Z: 2026-12-01T11:59:30.000Z is 30.0 s past; give a later one',
    );
    expect(flagErrorOf(String(NOW_MS))).toMatch(/is 0\.0 s past/);
    expect(flagErrorOf('2026-12-02T13:00:00Z')).toMatch(/more than 24 h ahead \(25 h\)$/);
  });
});

describe('waitForStart', () => {
  it('waits in steps of at most a second until the instant, and records how late the hold starts', async () => {
    const clock = fakeClock(NOW_MS);
    const start = parseStartAt('2026-12-01T12:00:03.5Z', NOW_MS);

    const record = await waitForStart(start, { nowMs: clock.nowMs, sleep: clock.sleep });

    expect(clock.sleeps).toEqual([1000, 1000, 1000, 494]);
    expect(record).toEqual({
      requested: '2026-12-01T12:00:03.5Z',
      atIso: '2026-12-01T12:00:03.500Z',
      atMs: NOW_MS + 3500,
      waitedMs: 3502,
      lateMs: 2,
      missed: false,
    });
  });

  it('follows a clock corrected during the wait', async () => {
    let offsetMs = 0;
    const clock = fakeClock(NOW_MS);
    const start = { text: 'x', atMs: NOW_MS + 3000 };

    const record = await waitForStart(start, {
      nowMs: () => clock.nowMs() + offsetMs,
      sleep: async (ms) => {
        await clock.sleep(ms);
        offsetMs = 1500; // the offset to the SFU host became known after the first step
      },
    });

    expect(clock.sleeps).toEqual([1000, 498]);
    expect(record.missed).toBe(false);
  });

  it('reports a missed instant without sleeping, and its error says how late the warm-up ended', async () => {
    const clock = fakeClock(NOW_MS + 4200);
    const start = { text: '2026-12-01T12:00:00Z', atMs: NOW_MS };

    const record = await waitForStart(start, { nowMs: clock.nowMs, sleep: clock.sleep });

    expect(clock.sleeps).toEqual([]);
    expect(record).toMatchObject({ missed: true, lateMs: 4200, waitedMs: 0 });
    const error = missedStartError(record);
    expect(error.code).toBe('RUN_FAILED');
    expect(error.message).toMatch(
      /^--start-at 2026-12-01T12:00:00Z: the warm-up ended 4\.2 s after 2026-12-01T12:00:00\.000Z; nothing was measured/,
    );
  });

  it("ends the wait when the run's signal aborts, with the signal's reason", async () => {
    const controller = new AbortController();
    const reason = new GlassbenchError('ABORTED', 'interrupted');
    const start = { text: 'x', atMs: Date.UTC(2100, 0, 1) };

    const waiting = waitForStart(start, { nowMs: () => NOW_MS, signal: controller.signal, sleep });
    controller.abort(reason);

    await expect(waiting).rejects.toBe(reason);
  });

  it('does not start waiting on a signal already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new GlassbenchError('ABORTED', 'interrupted'));

    await expect(
      waitForStart({ text: 'x', atMs: NOW_MS + 10_000 }, { nowMs: () => NOW_MS, signal: controller.signal }),
    ).rejects.toThrow('interrupted');
  });
});

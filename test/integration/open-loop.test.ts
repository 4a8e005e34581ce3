/**
 * Open-loop sending with real parts (reference SFU, werift peers in peer runners, Chromium): publishers keep
 * their timetable whatever happens, every slot of the measured window is either sent or skipped and reported,
 * and a frame a browser's encoder never emitted is skipped (`encoder-dropped`), not lost, in every room
 * composition.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../src/metrics/histogram.js';
import { runScenario } from '../../src/orchestrator/runner.js';
import type { RunSummary } from '../../src/report/summary.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { expectAccountingHolds, tempDir } from '../fixtures/cli.js';
import { requireBinary } from '../fixtures/system.js';

async function run(text: string): Promise<RunSummary> {
  const dir = await tempDir();
  const { summary } = await runScenario({
    scenario: scenarioFromText(text),
    runId: 'open-loop-test',
    outDir: join(dir, 'out'),
  });
  expectAccountingHolds(summary);
  return summary;
}

const count = (s: RunSummary, name: string): number => (s.metrics[name] as { count: number } | undefined)?.count ?? 0;

/** Slots due on one publisher's timetable in the measured window (fps x measured seconds). */
function slotsDue(summary: RunSummary, fps: number): number {
  const window = summary.window;
  if (!window) throw new Error('the summary has no measured window');
  return (fps * window.durationMs) / 1000;
}

/** This worktree's glassbench processes (other checkouts may run tests at the same time). */
function ownChildren(): string[] {
  const out = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter((l) => l.includes(process.cwd()) && /runner-process|reference-server\/main|glassbench-chromium-/.test(l));
}

describe('open-loop sending', () => {
  afterEach(() => {
    expect(ownChildren()).toEqual([]);
  });

  it('a publisher whose encoder cannot keep up skips slots and reports each: sent + skipped fill the window', async () => {
    // 1080p at 60 fps: libvpx (wasm, realtime) encodes a frame in far more than the 16.7 ms a slot allows, on
    // any machine we know, so the encoder is busy at most slots
    const fps = 60;
    const summary = await run(`name: starved-encoder
duration: 4s
peers:
  - { role: publisher, count: 1, video: { source: encoded, width: 1920, height: 1080, fps: ${fps}, bitrateKbps: 2000 } }
  - { role: subscriber, count: 1 }
`);
    expect(summary.status).toBe('passed');
    const sent = count(summary, 'frames_sent');
    const skipped = count(summary, 'frames_skipped');
    expect(sent).toBeGreaterThan(10);
    expect(skipped).toBeGreaterThan(0);
    // not one slot silently absent: within one frame of fps x measured seconds
    expect(Math.abs(sent + skipped - slotsDue(summary, fps))).toBeLessThanOrEqual(1);
    expect(summary.window?.durationMs).toBeGreaterThan(3900);
    // every sent frame has its lag from its slot (encode included); skipped slots are expected nowhere
    const lag = summary.metrics['send_lag_ms'] as TrendSummary;
    expect(lag.count).toBe(sent);
    expect(lag.min).toBeGreaterThanOrEqual(0);
    expect(count(summary, 'frames_received') + count(summary, 'frames_lost')).toBe(sent);
  });

  describe('browser publishers', () => {
    beforeAll(() => {
      requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    });

    // 80 kbps is too little for 30 fps at 640x360: WebRTC's frame dropper drops frames drawn into the source
    // (measured: 57 of 120 in 4 s; 22 at 100 kbps), and the marker stays readable
    const room = (extra: string): string => `name: browser-encoder-drops
duration: 4s
runners: 1
peers:
  - { role: publisher, kind: browser, count: 1, video: { width: 640, height: 360, fps: 30, bitrateKbps: 80 } }
  - { role: subscriber, kind: browser, count: 1 }
${extra}`;

    for (const [composition, extra] of [
      ['browser receivers only', ''],
      [
        'a synthetic receiver too (frames joined by RTP timestamp)',
        '  - { role: subscriber, kind: synthetic, count: 1 }\n',
      ],
    ] as const) {
      it(`reports frames its encoder dropped as skipped, never lost: ${composition}`, async () => {
        const summary = await run(room(extra));
        expect(summary.status).toBe('passed');
        const dropped = count(summary, 'frames_dropped_encoder');
        // no drop at all would mean the page could not tell them (its decoder gave up): the errors say why
        expect(dropped, JSON.stringify({ errors: summary.peers.errors, notes: summary.notes })).toBeGreaterThan(0);
        expect(count(summary, 'frames_skipped')).toBeGreaterThanOrEqual(dropped);
        expect(
          Math.abs(count(summary, 'frames_sent') + count(summary, 'frames_skipped') - slotsDue(summary, 30)),
        ).toBeLessThanOrEqual(1);
        // skipped frames are expected nowhere: each receiver accounts for every sent frame, and nothing else
        const receivers = extra === '' ? 1 : 2;
        expect(count(summary, 'frames_received') + count(summary, 'frames_lost')).toBe(
          receivers * count(summary, 'frames_sent'),
        );
        // before open-loop accounting a dropped frame was counted lost at every receiver (browser rooms) or vanished
        // (rooms with a synthetic receiver). What is lost now is not the drops: a frame or two the browser's track
        // reader discards (measured 0-2 in 4 s) counts as lost until frames_discarded_reader separates them
        expect(count(summary, 'frames_lost')).toBeLessThanOrEqual(Math.floor(dropped / 10));
      });
    }
  });
});

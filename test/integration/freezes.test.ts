/**
 * Freezes and the first frame at every receiver (issue 18, acceptance 3): a 1 s outage of the subscribers'
 * downlink mid-run (every packet dropped by the run's impaired link, then the link restored) shows as one freeze
 * of about the outage (a browser's: up to the next keyframe) at a synthetic and at a browser receiver, found by the harness from their frame times; each
 * subscription has a positive time to first frame. As root (impairment needs network namespaces).
 */
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { readFrames, readSummary, runCli, tempDir, writeScenario } from '../fixtures/cli.js';
import {
  glassbenchChildPids,
  glassbenchChromiumPids,
  glassbenchNamespaces,
  requireBinary,
} from '../fixtures/system.js';

const root = process.getuid?.() === 0;
// as root only (namespaces and links need it); under CI a non-root run is a failure, not a skip
const asRoot = root || process.env['CI'] === 'true' ? it : it.skip;

/** 2 s into the hold every downlink packet is dropped, 3 s in the link is whole again */
const OUTAGE =
  '{ downlink: { loss: 0% }, schedule: [ { at: 2s, downlink: { loss: 100% } }, { at: 3s, downlink: { loss: 0% } } ] }';
const KINDS = ['synthetic', 'browser'] as const;
/**
 * The most a freeze may last, ms. A synthetic receiver's ends with the first frame after the outage, repaired by
 * NACK: 1000 ms plus the repair. A browser's ends with a frame it can decode: a keyframe it asked for, or at the
 * latest the publisher's next periodic one (every 2 s, set below), so 1000 + 2000 ms plus its jitter buffer and
 * decode (a loaded CI machine gave 3005 ms in two freezes: its requests' keyframes came late).
 */
const MAX_FREEZE_MS = { synthetic: 1600, browser: 3600 } as const;

const scenario = `name: freezes
duration: 6s
warmup: 1s
peers:
  - { role: publisher, kind: synthetic, count: 1, video: { source: encoded, fps: 30, bitrateKbps: 600, keyframeInterval: 2s } }
  - { role: subscriber, kind: synthetic, count: 1, network: ${OUTAGE} }
  - { role: subscriber, kind: browser, count: 1, network: ${OUTAGE} }
thresholds:
${KINDS.map(
  (kind) => `  "freeze_count{peer_kind:${kind}}": ["count>=1"]
  "freeze_ms{peer_kind:${kind}}": ["count>700", "count<${MAX_FREEZE_MS[kind]}"]
  "time_to_first_frame_ms{peer_kind:${kind}}": ["min>0"]`,
).join('\n')}
`;

describe('freezes', () => {
  beforeAll(() => {
    requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
  });

  afterEach(() => {
    expect(glassbenchChildPids()).toEqual([]);
    expect(glassbenchChromiumPids()).toEqual([]);
    expect(glassbenchNamespaces()).toEqual([]);
  });

  asRoot(
    'a 1 s downlink outage is a freeze of about 1 s at a synthetic and at a browser receiver; both have a first frame',
    async () => {
      // Arrange
      expect(root, 'network impairment needs root').toBe(true);
      const dir = await tempDir();
      const out = join(dir, 'out');
      const file = await writeScenario(dir, 'freezes.yaml', scenario);

      // Act
      const run = await runCli(['run', file, '--out', out]);

      // Assert
      const summary = readSummary(out);
      const actual = (key: string, expr: string): number | null | undefined =>
        summary.thresholds[key]?.find((t) => t.expr === expr)?.actual;
      // the outage is in the record of the run: the link dropped everything from 2 s to 3 s of the hold
      expect(summary.network?.changes.map((c) => [c.atMs, c.downlink['lossPct']])).toContainEqual([2000, 100]);
      expect(summary.network?.changes.map((c) => [c.atMs, c.downlink['lossPct']])).toContainEqual([3000, 0]);
      // Bounds of the one freeze: the link drops packets for 1000 ms (two timers of the harness, applied by the
      // link within ms). The last frame before it completed at most a frame interval (33 ms) before it began, and
      // the first frame after it (sent after it, or sent during it and repaired by NACK) completes after it ended:
      // at least ~967 ms, less only by how much later the first timer fired than the second; 700 leaves room for a
      // busy machine. At most: MAX_FREEZE_MS (above), which also leaves room for a short second freeze of a starved
      // page.
      const frames = readFrames(out).filter((r) => r['warmup'] !== true && typeof r['freezeMs'] === 'number');
      const measured: Record<string, unknown> = {};
      for (const kind of KINDS) {
        const count = actual(`freeze_count{peer_kind:${kind}}`, 'count>=1');
        const ms = actual(`freeze_ms{peer_kind:${kind}}`, 'count>700');
        const ttff = actual(`time_to_first_frame_ms{peer_kind:${kind}}`, 'min>0');
        measured[kind] = { count, ms, ttff };
        expect(count, `${kind} ${JSON.stringify(measured)}`).toBeGreaterThanOrEqual(1);
        expect(ms, `${kind} ${JSON.stringify(measured)}`).toBeGreaterThan(700);
        expect(ms, `${kind} ${JSON.stringify(measured)}`).toBeLessThan(MAX_FREEZE_MS[kind]);
        expect(ttff, `${kind} ${JSON.stringify(measured)}`).toBeGreaterThan(0);
        // the frames that ended the freezes carry them, and add up to the counters
        const ended = frames.filter((r) => r['peerKind'] === kind);
        expect(ended).toHaveLength(count as number);
        expect(ended.reduce((n, r) => n + (r['freezeMs'] as number), 0)).toBeCloseTo(ms as number, 3);
      }
      expect(run.code, `${JSON.stringify(measured)}\n${run.stderr}`).toBe(0);
      // one sample of time to first frame per subscription, none without frames
      expect(summary.metrics['time_to_first_frame_ms']).toMatchObject({ count: 2 });
      // the counters are the frames' freezes, nothing else (getStats no longer feeds them)
      expect(summary.metrics['freeze_count']).toMatchObject({ count: frames.length });
      process.stdout.write(`freezes and first frame per receiver kind: ${JSON.stringify(measured)}\n`);
    },
    240_000,
  );
});

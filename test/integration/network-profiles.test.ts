/**
 * A named network profile on a real impaired link, as root: a subscriber group on `4g` (45 ms +/- 10 ms each
 * way, 0.2% loss) against the same run with no profile. The profile's delay shows in the subscriber's
 * downlink_ms and frame_latency_ms, and the summary records the values that ran.
 */
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../src/metrics/histogram.js';
import { saturationBrief } from '../../src/metrics/saturation.js';
import type { RunSummary } from '../../src/report/summary.js';
import { readSummary, runCli, tempDir, writeScenario } from '../fixtures/cli.js';
import { glassbenchChildPids, glassbenchNamespaces } from '../fixtures/system.js';

const root = process.getuid?.() === 0;
// as root only (namespaces and links need it); under CI a non-root run is a failure, not a skip
const asRoot = root || process.env['CI'] === 'true' ? it : it.skip;

const scenario = (name: string, subscriberNetwork: string): string => `name: ${name}
duration: 5s
warmup: 1s
peers:
  - { role: publisher, count: 1, video: { fps: 30, bitrateKbps: 1000 } }
  - { role: subscriber, count: 1${subscriberNetwork ? `, network: ${subscriberNetwork}` : ''} }
`;

describe('named network profiles', () => {
  afterEach(() => {
    expect(glassbenchChildPids()).toEqual([]);
    expect(glassbenchNamespaces()).toEqual([]);
  });

  asRoot(
    'a subscriber on 4g: median downlink_ms and frame_latency_ms move by its 45 ms delay (up to its 10 ms jitter more)',
    async () => {
      expect(root, 'network impairment needs root').toBe(true);
      const dir = await tempDir();
      const plain = join(dir, 'plain');
      const mobile = join(dir, 'mobile');
      const base = await runCli(['run', await writeScenario(dir, 'plain.yaml', scenario('plain', '')), '--out', plain]);
      expect(base.code, base.stderr).toBe(0);
      const run = await runCli([
        'run',
        await writeScenario(dir, 'mobile.yaml', scenario('mobile', '{ profile: 4g }')),
        '--out',
        mobile,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const before = readSummary(plain);
      const after = readSummary(mobile);
      const median = (s: RunSummary, m: string): number => (s.metrics[m] as TrendSummary).p50;
      const shifts = ['downlink_ms', 'frame_latency_ms'].map((m) => median(after, m) - median(before, m));
      // a run on a machine short of CPU (or with its CPU stolen) adds its own delay: the failure says so
      const load = [before, after]
        .map((s) => (s.saturation && s.saturated ? `${s.runId}: ${saturationBrief(s.saturation)}` : ''))
        .join(' ');
      // a frame is complete at its last packet; the emulator keeps packets in order, so the jitter can only add
      for (const shift of shifts) {
        expect(shift, load).toBeGreaterThan(45 - 3);
        expect(shift, load).toBeLessThan(45 + 10 + 3);
      }
      // the uplink is not the subscriber's path for frames: the publisher's uplink_ms stays within a few ms
      expect(Math.abs(median(after, 'uplink_ms') - median(before, 'uplink_ms'))).toBeLessThan(10);
      const link = after.network?.links[0];
      expect(after.network?.links).toHaveLength(1);
      expect(link?.groups).toEqual(['subscriber/synthetic']);
      const ran = { delayMs: 45, jitterMs: 10, lossPct: 0.2, burstLossPackets: 0, rateKbps: 0 };
      expect(link?.downlink).toEqual(ran);
      expect(link?.uplink).toEqual(ran);
    },
    120_000,
  );
});

/**
 * Frame identity through an SFU that strips unknown header extensions and rewrites sequence numbers and RTP
 * timestamps: the reference SFU's `rewriteRtp` knob behaves like one (Janus does both). Filler frames are named
 * by the id in their bitstream (`payload`), real VP8 from libvpx through the timestamp offset learned per
 * subscription (`rtp-offset`), and without the knob by the header extension; every receipt is named, and the
 * summary says how.
 */
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../src/metrics/histogram.js';
import { runScenario } from '../../src/orchestrator/runner.js';
import type { RunSummary } from '../../src/report/summary.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { expectAccountingHolds, tempDir } from '../fixtures/cli.js';
import { requireBinary } from '../fixtures/system.js';

async function run(name: string, sfu: string, video: string, subscribers: string): Promise<RunSummary> {
  const scenario = scenarioFromText(`name: ${name}
duration: 4s
sfu: ${sfu}
peers:
  - { role: publisher, count: 1, video: ${video} }
  - ${subscribers}
`);
  const dir = await tempDir();
  const { summary } = await runScenario({ scenario, runId: name, outDir: join(dir, 'out') });
  expect(summary.status).toBe('passed');
  expectAccountingHolds(summary);
  return summary;
}

const count = (s: RunSummary, name: string): number => (s.metrics[name] as { count: number } | undefined)?.count ?? 0;

/** Every subscription named its frames by `method`, none lost its identity, and >= 99% have frame_latency_ms. */
function expectNamedBy(summary: RunSummary, method: string, subscriptions: number): void {
  const identity = summary.identity;
  expect(identity?.identityLost).toBe(0);
  expect(count(summary, 'identity_lost')).toBe(0);
  expect(identity?.subscriptions.map((s) => s.method)).toEqual(Array.from({ length: subscriptions }, () => method));
  expect(Object.keys(identity?.methods ?? {})).toEqual([method]);
  const received = count(summary, 'frames_received');
  expect(received).toBeGreaterThan(50 * subscriptions);
  expect(identity?.methods[method as keyof typeof identity.methods]).toBe(received);
  const latency = summary.metrics['frame_latency_ms'] as TrendSummary;
  expect(latency.count).toBeGreaterThanOrEqual(0.99 * received);
}

describe('frame identity through an SFU that rewrites RTP', () => {
  it('names filler frames by the id in their bitstream when the SFU strips the extensions', async () => {
    const summary = await run(
      'rewrite-payload',
      '{ rewriteRtp: true }',
      '{ bitrateKbps: 300 }',
      '{ role: subscriber, count: 2 }',
    );
    expectNamedBy(summary, 'payload', 2);
  });

  it('names real VP8 frames through the RTP timestamp offset it learns per subscription', async () => {
    const summary = await run(
      'rewrite-offset',
      '{ rewriteRtp: true }',
      '{ source: encoded, width: 320, height: 180, fps: 30, bitrateKbps: 300 }',
      '{ role: subscriber, count: 2 }',
    );
    expectNamedBy(summary, 'rtp-offset', 2);
  });

  it('names frames by the header extension when the SFU forwards it', async () => {
    const summary = await run(
      'no-rewrite',
      '{ addDelayMs: 0 }',
      '{ bitrateKbps: 300 }',
      '{ role: subscriber, count: 1 }',
    );
    expectNamedBy(summary, 'extension', 1);
  });

  describe('with a browser receiver', () => {
    beforeAll(() => {
      requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    });

    it('names frames by the pixel marker at a browser, and through the learned offset at a synthetic receiver', async () => {
      const summary = await run(
        'rewrite-marker',
        '{ rewriteRtp: true }',
        '{ source: encoded, width: 640, height: 360, fps: 30, bitrateKbps: 600 }',
        '{ role: subscriber, kind: browser, count: 1 }\n  - { role: subscriber, kind: synthetic, count: 1 }',
      );
      const identity = summary.identity;
      expect(identity?.identityLost).toBe(0);
      expect(count(summary, 'identity_lost')).toBe(0);
      expect(identity?.subscriptions.map((s) => [s.peer, s.method])).toEqual([
        ['r1-sub2-1', 'marker'],
        ['r1-sub3-1', 'rtp-offset'],
      ]);
      const received = count(summary, 'frames_received');
      expect(received).toBeGreaterThan(100);
      const latency = summary.metrics['frame_latency_ms'] as TrendSummary;
      expect(latency.count).toBeGreaterThanOrEqual(0.99 * received);
    });
  });
});

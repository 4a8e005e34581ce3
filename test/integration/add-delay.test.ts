/**
 * Calibration: the reference SFU holding every frame 50 ms must show up as +50 ms in the median
 * frame_latency_ms and sfu_ms, within 2 ms, against the same scenario without it.
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../src/metrics/histogram.js';
import { runScenario } from '../../src/orchestrator/runner.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { expectAccountingHolds, tempDir } from '../fixtures/cli.js';

async function medians(addDelayMs: number): Promise<{ frame: number; sfu: number; count: number }> {
  const scenario = scenarioFromText(`name: calibration
duration: 5s
sfu: { addDelayMs: ${addDelayMs} }
peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`);
  const dir = await tempDir();
  const { summary } = await runScenario({ scenario, runId: `delay-${addDelayMs}`, outDir: join(dir, 'out') });
  expect(summary.status).toBe('passed');
  expectAccountingHolds(summary);
  const frame = summary.metrics['frame_latency_ms'] as TrendSummary;
  const sfu = summary.metrics['sfu_ms'] as TrendSummary;
  return { frame: frame.p50, sfu: sfu.p50, count: frame.count };
}

describe('sfu.addDelayMs', () => {
  it('shifts median frame_latency_ms and sfu_ms by 50 +/- 2 ms', async () => {
    const base = await medians(0);
    const delayed = await medians(50);
    expect(base.count).toBeGreaterThan(200);
    expect(delayed.count).toBeGreaterThan(200);
    expect(Math.abs(delayed.frame - base.frame - 50)).toBeLessThanOrEqual(2);
    expect(Math.abs(delayed.sfu - base.sfu - 50)).toBeLessThanOrEqual(2);
  });
});

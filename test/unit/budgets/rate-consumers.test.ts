import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { sumRoundCounts } from '../../../src/orchestrator/variants.js';
import { renderReport } from '../../../src/report/html.js';
import { reportData } from '../../../src/report/report-data.js';
import type { RunSummary } from '../../../src/report/summary.js';

describe('Rate metrics in the consumers of a summary', () => {
  it('a variant sums its rounds: Rates add count and hits, counters their counts over the summed time', () => {
    const rounds = [
      {
        durationMs: 10_000,
        metrics: { frame_loss_ratio: { count: 1000, hits: 10, rate: 0.01 }, frames_lost: { count: 10, rate: 1 } },
      },
      {
        durationMs: 10_000,
        metrics: { frame_loss_ratio: { count: 3000, hits: 0, rate: 0 }, frames_lost: { count: 0, rate: 0 } },
      },
    ] as unknown as RunSummary[];
    const summed = sumRoundCounts(rounds);
    // the fraction of all expected frames (10 / 4000), not the mean of the rounds' fractions (0.005)
    expect(summed['frame_loss_ratio']).toEqual({ count: 4000, hits: 10, rate: 0.0025 });
    expect(summed['frames_lost']).toEqual({ count: 10, rate: 0.5 });
    expect(summed['frame_latency_ms']).toBeUndefined();
  });

  describe('report.html', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gb-rate-report-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('shows a Rate as a percentage with yes of samples, and its threshold actual to 3 digits', async () => {
      const summary = {
        runId: 'r',
        status: 'failed',
        saturated: false,
        notes: [],
        scenario: { name: 's' },
        startedAt: '2026-01-01T00:00:00.000Z',
        processes: {},
        metrics: { frame_loss_ratio: { count: 5000, hits: 21, rate: 0.0042 }, frames_lost: { count: 21, rate: 2.1 } },
        thresholds: { frame_loss_ratio: [{ expr: 'rate<0.001', ok: false, actual: 0.0042 }] },
      };
      writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
      writeFileSync(join(dir, 'frames.ndjson.gz'), gzipSync(''));
      const data = await reportData(dir);
      expect(data.rates).toEqual([{ group: 's', metric: 'frame_loss_ratio', count: 5000, hits: 21, rate: 0.0042 }]);
      const html = renderReport(data, '');
      expect(html).toContain(
        '<table id="rates"><tr><th>metric</th><th>rate</th><th>yes of samples</th></tr><tr><td>frame_loss_ratio</td><td>0.42%</td><td>21 of 5000</td></tr></table>',
      );
      expect(html).toContain('<td>rate&lt;0.001</td><td>0.0042</td><td>FAIL</td>');
    });
  });
});

describe('report.html failed-first', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-rate-first-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('does not claim a Rate (no per-frame samples to follow) failed first after 0 s', async () => {
    const summary = {
      runId: 'r',
      status: 'failed',
      saturated: false,
      notes: [],
      scenario: { name: 's' },
      startedAt: '2026-01-01T00:00:00.000Z',
      processes: {},
      metrics: {},
      thresholds: { frame_loss_ratio: [{ expr: 'rate<0.001', ok: false, actual: 0.0042 }] },
    };
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
    writeFileSync(
      join(dir, 'frames.ndjson.gz'),
      gzipSync(
        `${JSON.stringify({ frameId: '1:1', publisher: 'p', receivedMs: Date.parse(summary.startedAt) + 500, frameLatencyMs: 5 })}\n`,
      ),
    );
    expect((await reportData(dir)).failedFirst).toBeUndefined();
  });
});

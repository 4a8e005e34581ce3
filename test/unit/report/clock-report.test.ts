/**
 * The clock in the report: each shard's offset and uncertainty, and the cross-host stages its uncertainty makes
 * doubtful, from summary.clock (one run) or summary.shards[].clock (a merge); the page marks them in its charts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { renderReport } from '../../../src/report/html.js';
import { reportData } from '../../../src/report/report-data.js';
import type { ClockSummary } from '../../../src/report/summary.js';
import { writeRunDir } from '../../fixtures/run-dir.js';

const root = mkdtempSync(join(tmpdir(), 'gb-clock-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (name: string, summary: Record<string, unknown>): string => writeRunDir(root, name, summary);

const clock = (offsetMs: number, uncertain: ClockSummary['uncertainMetrics']): ClockSummary => ({
  method: 'sfu-endpoint',
  offsetMs,
  uncertaintyMs: 0.4,
  uncertaintyMaxMs: 0.5,
  resolutionMs: 0.0002,
  samples: 16,
  failed: 0,
  estimates: 2,
  offsetMinMs: offsetMs,
  offsetMaxMs: offsetMs,
  uncertainMetrics: uncertain,
});

describe('clock in the report', () => {
  it("lists one run's clock and marks its clock-uncertain stages", async () => {
    const data = await reportData(
      run('one', { clock: clock(250.02, [{ metric: 'uplink_ms', p50Ms: 0.54, uncertaintyMs: 0.5 }]) }),
    );
    expect(data.uncertainMetrics).toEqual(['uplink_ms']);
    expect(data.clock?.shards).toEqual([
      {
        shard: '',
        method: 'sfu-endpoint',
        offsetMs: 250.02,
        uncertaintyMs: 0.4,
        samples: 16,
        uncertain: [{ metric: 'uplink_ms', p50Ms: 0.54, uncertaintyMs: 0.5 }],
      },
    ]);
    const html = renderReport(data, '');
    expect(html).toContain('<table id="clock">');
    expect(html).toContain('+250.020 ms');
    expect(html).toContain('uplink_ms (median 0.54 ms, +/- 0.500 ms)');
    expect(html).toContain('"uncertainMetrics":["uplink_ms"]');
  });

  it("keeps each shard's clock of a merge, and marks a stage uncertain in any shard", async () => {
    const data = await reportData(
      run('merged', {
        shards: [
          { shard: '1/2', frames: 10, metrics: {}, clock: clock(250, []) },
          {
            shard: '2/2',
            frames: 10,
            metrics: {},
            clock: clock(0.1, [{ metric: 'downlink_ms', p50Ms: 2, uncertaintyMs: 0.5 }]),
          },
        ],
      }),
    );
    expect(data.clock?.shards.map((s) => [s.shard, s.offsetMs])).toEqual([
      ['1/2', 250],
      ['2/2', 0.1],
    ]);
    expect(data.uncertainMetrics).toEqual(['downlink_ms']);
  });
});

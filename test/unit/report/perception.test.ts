/**
 * The report's "Seen and heard" table: A/V sync judged against the window people accept, picture quality, freezes
 * and first frame beside the headline latency, one column per run or variant, and no table for a run that measured
 * none of them.
 */
import { describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../../src/metrics/histogram.js';
import { renderReport } from '../../../src/report/html.js';
import { perceptionRows } from '../../../src/report/perception.js';
import type { ReportData } from '../../../src/report/report-data.js';

const trend = (p50: number, extra: Partial<TrendSummary> = {}): TrendSummary => ({
  count: 10,
  min: p50 - 5,
  mean: p50,
  p50,
  p90: p50 + 4,
  p95: p50 + 5,
  p99: p50 + 6,
  max: p50 + 8,
  ...extra,
});

describe('perceptionRows', () => {
  it('shows A/V sync with its verdict, quality, freezes and first frame beside glass-to-glass', () => {
    const rows = perceptionRows([
      {
        g2g_latency_ms: trend(120),
        frame_latency_ms: trend(30),
        av_sync_ms: trend(20),
        video_psnr_db: trend(38),
        video_ssim: trend(0.95, { min: 0.9 }),
        freeze_count: { count: 1, rate: 0.2 },
        freeze_ms: { count: 1043.6, rate: 200 },
        time_to_first_frame_ms: trend(300),
      },
      { g2g_latency_ms: trend(130), av_sync_ms: trend(140), freeze_count: { count: 0, rate: 0 } },
    ]);
    expect(rows.map((r) => r.metric)).toEqual([
      'g2g_latency_ms',
      'av_sync_ms',
      'video_psnr_db',
      'video_ssim',
      'freeze_count',
      'freeze_ms',
      'time_to_first_frame_ms',
    ]);
    const sync = rows.find((r) => r.metric === 'av_sync_ms');
    expect(sync?.cells.map((c) => c?.ok)).toEqual([true, false]); // +140 ms: audio later than 125 ms
    expect(sync?.cells[0]?.text).toBe('15.0 / 20.0 / 28.0 (10)');
    expect(rows.find((r) => r.metric === 'freeze_ms')?.cells).toEqual([{ text: '1044 ms' }, null]);
    expect(rows.find((r) => r.metric === 'video_ssim')?.cells[0]?.text).toBe('0.900 / 0.950 (10)');
  });

  it('gives no rows to a run that measured only latency, and frame latency where there is no glass-to-glass', () => {
    expect(perceptionRows([{ frame_latency_ms: trend(30), g2g_latency_ms: trend(0, { count: 0 }) }])).toEqual([]);
    const rows = perceptionRows([{ frame_latency_ms: trend(30), time_to_first_frame_ms: trend(250) }]);
    expect(rows.map((r) => r.metric)).toEqual(['frame_latency_ms', 'time_to_first_frame_ms']);
  });

  it('is drawn in report.html, with the verdict on the A/V sync cell', () => {
    const rows = perceptionRows([{ frame_latency_ms: trend(30), av_sync_ms: trend(-60) }]);
    const data: ReportData = {
      title: 't',
      runId: 'r',
      status: 'passed',
      saturated: false,
      notes: [],
      headline: 'frame_latency_ms',
      thresholds: [],
      rates: [],
      groups: [],
      perception: { groups: ['run'], rows },
    };
    const html = renderReport(data, '');
    expect(html).toContain('<table id="perception">');
    expect(html).toContain('<td class="fail">-65.0 / -60.0 / -52.0 (10)</td>'); // audio 60 ms early: outside
  });
});

/**
 * What people see and hear, next to the latency (report.html's "Seen and heard" table): per run or variant, the
 * headline latency beside A/V sync against its accepted window, picture quality, freezes and the time to the
 * first frame and audio, read from the summary's metrics. Only metrics with samples are shown.
 */
import type { MetricName } from '../metrics/catalogue.js';
import type { TrendSummary } from '../metrics/histogram.js';
import type { CounterSummary, RateSummary } from '../metrics/series.js';
import type { RunSummary } from './summary.js';

type Summaries = Record<string, TrendSummary | CounterSummary | RateSummary>;

/** Lip sync people accept: audio at most 45 ms early or 125 ms late (docs/metrics.md, av_sync_ms). */
export const AV_SYNC_WINDOW_MS = { early: -45, late: 125 } as const;

export interface PerceptionCell {
  text: string;
  /** set where the value has a verdict (A/V sync against its window) */
  ok?: boolean;
}

export interface PerceptionRow {
  metric: MetricName;
  /** what the cells show */
  what: string;
  /** one cell per group, in the groups' order */
  cells: (PerceptionCell | null)[];
}

const isTrend = (m: unknown): m is TrendSummary =>
  typeof m === 'object' && m !== null && 'p50' in m && typeof (m as TrendSummary).p50 === 'number';
const isCounter = (m: unknown): m is CounterSummary =>
  typeof m === 'object' && m !== null && 'rate' in m && !('hits' in m) && !('p50' in m);

const fixed = (v: number, digits = 1): string => v.toFixed(digits);

interface RowSpec {
  metric: MetricName;
  what: string;
  cell: (m: TrendSummary | CounterSummary) => PerceptionCell | null;
}

function trendCell(format: (t: TrendSummary) => string, verdict?: (t: TrendSummary) => boolean) {
  return (m: TrendSummary | CounterSummary): PerceptionCell | null => {
    if (!isTrend(m) || m.count === 0) return null;
    const cell: PerceptionCell = { text: `${format(m)} (${m.count})` };
    if (verdict) cell.ok = verdict(m);
    return cell;
  };
}

function counterCell(unit: string) {
  return (m: TrendSummary | CounterSummary): PerceptionCell | null =>
    isCounter(m) ? { text: `${fixed(m.count, 0)}${unit}` } : null;
}

const inWindow = (v: number): boolean => v >= AV_SYNC_WINDOW_MS.early && v <= AV_SYNC_WINDOW_MS.late;

const ROWS: readonly RowSpec[] = [
  {
    metric: 'g2g_latency_ms',
    what: 'glass-to-glass, ms: p50 / p95',
    cell: trendCell((t) => `${fixed(t.p50)} / ${fixed(t.p95)}`),
  },
  {
    metric: 'frame_latency_ms',
    what: 'capture to receipt, ms: p50 / p95',
    cell: trendCell((t) => `${fixed(t.p50)} / ${fixed(t.p95)}`),
  },
  {
    metric: 'av_sync_ms',
    what: `A/V sync, ms (positive: audio late; accepted ${AV_SYNC_WINDOW_MS.early}..+${AV_SYNC_WINDOW_MS.late}): min / p50 / max`,
    cell: trendCell(
      (t) => `${fixed(t.min)} / ${fixed(t.p50)} / ${fixed(t.max)}`,
      (t) => inWindow(t.p50),
    ),
  },
  {
    metric: 'video_psnr_db',
    what: 'picture PSNR, dB: min / p50',
    cell: trendCell((t) => `${fixed(t.min)} / ${fixed(t.p50)}`),
  },
  {
    metric: 'video_ssim',
    what: 'picture SSIM: min / p50',
    cell: trendCell((t) => `${fixed(t.min, 3)} / ${fixed(t.p50, 3)}`),
  },
  { metric: 'freeze_count', what: 'freezes at receivers', cell: counterCell('') },
  { metric: 'freeze_ms', what: 'frozen time at receivers', cell: counterCell(' ms') },
  {
    metric: 'time_to_first_frame_ms',
    what: 'subscribe to first frame, ms: p50 / max',
    cell: trendCell((t) => `${fixed(t.p50)} / ${fixed(t.max)}`),
  },
  {
    metric: 'time_to_first_audio_ms',
    what: 'subscribe to first audio, ms: p50 / max',
    cell: trendCell((t) => `${fixed(t.p50)} / ${fixed(t.max)}`),
  },
];

/**
 * The rows for `groups` (a run, or each variant), each group's metrics as in summary.json: those with a value in
 * some group. The headline latency stands beside them (glass-to-glass where browsers measured it, else the frame
 * latency); a run that measured none of the rest gets no rows.
 */
export function perceptionRows(groups: readonly Summaries[]): PerceptionRow[] {
  const rows: PerceptionRow[] = [];
  for (const spec of ROWS) {
    const cells = groups.map((metrics) => {
      const m = metrics[spec.metric];
      return m === undefined || !(isTrend(m) || isCounter(m)) ? null : spec.cell(m);
    });
    if (cells.some((c) => c !== null)) rows.push({ metric: spec.metric, what: spec.what, cells });
  }
  const latency = (r: PerceptionRow): boolean => r.metric === 'g2g_latency_ms' || r.metric === 'frame_latency_ms';
  if (!rows.some((r) => !latency(r))) return [];
  const hasG2g = rows.some((r) => r.metric === 'g2g_latency_ms');
  return rows.filter((r) => !(hasG2g && r.metric === 'frame_latency_ms'));
}

/** The table for a run: one column for the run, or one per variant; undefined when it measured none of it. */
export function perceptionOf(summary: RunSummary): { groups: string[]; rows: PerceptionRow[] } | undefined {
  const groups = summary.variants
    ? summary.variants.map((v) => ({ name: v.name, metrics: v.metrics }))
    : [{ name: summary.scenario.name, metrics: summary.metrics }];
  const rows = perceptionRows(groups.map((g) => g.metrics));
  return rows.length === 0 ? undefined : { groups: groups.map((g) => g.name), rows };
}

/**
 * `glassbench compare <baseline> <candidate>` (docs/outputs.md): per metric, the medians and 95th
 * percentiles of both runs from their frame-level samples, the deltas with bootstrap 95% confidence
 * intervals, and a verdict. A regression is a worsening (a rise; a fall for a metric the catalogue says is better
 * higher) of a gated statistic (the median by default; the p95 too on request) whose interval excludes zero and which
 * exceeds
 * the metric's tolerance: both a share of the baseline (default 5%) and an absolute amount (default 5 ms, in
 * the metric's unit). Percentiles are nearest rank (stats.ts); the bootstrap resamples whole frames (every
 * receiver's copy of one frame together). The p95 is not gated by default: consecutive frames of one run are
 * not independent either (one pause of the machine delays a run of them), so its interval is still too
 * narrow and two runs of one build differ by more than it says.
 */
import { findMetric, type MetricName } from '../metrics/catalogue.js';
import { escapeXml } from '../sinks/junit.js';
import type { ChangePoint } from './change-point.js';
import type { RunSamples } from './samples.js';
import { bootstrapQuantileDelta, type ClusteredSamples, type Interval, quantile, sortedCopy } from './stats.js';

export interface Tolerance {
  pct: number;
  abs: number;
}

export interface CompareOptions {
  /** default tolerance, and per-metric ones */
  tolerance: Tolerance;
  tolerances: Record<string, Tolerance>;
  /** fewer samples than this on either side: reported, not judged */
  minSamples: number;
  /** the statistics whose worsening is a regression */
  gate: ('p50' | 'p95')[];
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = {
  tolerance: { pct: 5, abs: 5 },
  tolerances: {},
  minSamples: 20,
  gate: ['p50'],
};

export interface StatComparison extends Interval {
  baseline: number;
  candidate: number;
  regression: boolean;
}

export interface MetricComparison {
  metric: string;
  baselineCount: number;
  candidateCount: number;
  tolerance: Tolerance;
  p50?: StatComparison;
  p95?: StatComparison;
  verdict: 'regression' | 'improvement' | 'no change' | 'too few samples';
}

export interface Comparison {
  baseline: { source: string; runId: string; scenario: string; status: string };
  candidate: { source: string; runId: string; scenario: string; status: string };
  metrics: MetricComparison[];
  regressions: string[];
  /** the statistics gated */
  gate: ('p50' | 'p95')[];
  /** with an InfluxDB history: the candidate's medians against the scenario's earlier passing runs */
  history?: ChangePoint[];
}

/** metrics in the order a person reads them: the headline first, then stages, then the AI hook and speech */
const ORDER: readonly MetricName[] = [
  'g2g_latency_ms',
  'frame_latency_ms',
  'uplink_ms',
  'sfu_ms',
  'downlink_ms',
  'render_ms',
  'ai_queue_ms',
  'ai_decode_ms',
  'ai_inference_ms',
  'ai_encode_ms',
  'ai_hook_ms',
];

function rank(metric: MetricName): number {
  const i = ORDER.indexOf(metric);
  return i >= 0 ? i : ORDER.length;
}

interface Side {
  sorted: Float64Array;
  samples: ClusteredSamples;
}

/**
 * +1 when a rise of the metric is a worsening (the catalogue's `better: 'lower'`, and `zero`, whose samples are
 * judged as their distance from zero), -1 when a fall is.
 */
function worseningSign(metric: MetricName): 1 | -1 {
  return findMetric(metric)?.better === 'higher' ? -1 : 1;
}

/** Whether `s` moved by more than the tolerance in direction `sign` (+1 up, -1 down), its interval excluding zero. */
function moved(s: Interval & { baseline: number }, sign: 1 | -1, tolerance: Tolerance): boolean {
  const beyondZero = sign > 0 ? s.lo > 0 : s.hi < 0;
  return beyondZero && sign * s.delta > Math.max((Math.abs(s.baseline) * tolerance.pct) / 100, tolerance.abs);
}

function judge(
  baseline: Side,
  candidate: Side,
  q: number,
  tolerance: Tolerance,
  seed: number,
  gated: boolean,
  worse: 1 | -1,
): StatComparison {
  const interval = bootstrapQuantileDelta(baseline.samples, candidate.samples, q, 500, seed);
  const base = quantile(baseline.sorted, q);
  const cand = quantile(candidate.sorted, q);
  return {
    ...interval,
    baseline: base,
    candidate: cand,
    regression: gated && moved({ ...interval, baseline: base }, worse, tolerance),
  };
}

export function compareRuns(
  baseline: RunSamples,
  candidate: RunSamples,
  options: CompareOptions = DEFAULT_COMPARE_OPTIONS,
): Comparison {
  const metrics: MetricComparison[] = [];
  const names = [...new Set([...baseline.values.keys(), ...candidate.values.keys()])].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b),
  );
  for (const [i, metric] of names.entries()) {
    const towardZero = findMetric(metric)?.better === 'zero';
    const side = (r: RunSamples): Side => {
      const raw = r.values.get(metric) ?? [];
      // A/V sync: audio 100 ms early is as bad as 100 ms late, so the distance from zero is what is compared
      const values = towardZero ? raw.map(Math.abs) : raw;
      const clusters = r.clusters.get(metric);
      return { sorted: sortedCopy(values), samples: clusters ? { values, clusters } : { values } };
    };
    const base = side(baseline);
    const cand = side(candidate);
    const tolerance = options.tolerances[metric] ?? findMetric(metric)?.tolerance ?? options.tolerance;
    const row: MetricComparison = {
      metric,
      baselineCount: base.sorted.length,
      candidateCount: cand.sorted.length,
      tolerance,
      verdict: 'too few samples',
    };
    if (base.sorted.length >= options.minSamples && cand.sorted.length >= options.minSamples) {
      const worse = worseningSign(metric);
      row.p50 = judge(base, cand, 0.5, tolerance, 2 * i + 1, options.gate.includes('p50'), worse);
      row.p95 = judge(base, cand, 0.95, tolerance, 2 * i + 2, options.gate.includes('p95'), worse);
      const improved = (s: StatComparison): boolean => moved(s, worse === 1 ? -1 : 1, tolerance);
      const gatedStats = [
        ...(options.gate.includes('p50') ? [row.p50] : []),
        ...(options.gate.includes('p95') ? [row.p95] : []),
      ];
      row.verdict = gatedStats.some((s) => s.regression)
        ? 'regression'
        : gatedStats.some(improved)
          ? 'improvement'
          : 'no change';
    }
    metrics.push(row);
  }
  const describe = (r: RunSamples): Comparison['baseline'] => ({
    source: r.source,
    runId: r.runId,
    scenario: r.scenario,
    status: r.status,
  });
  return {
    baseline: describe(baseline),
    candidate: describe(candidate),
    gate: options.gate,
    metrics,
    regressions: metrics.filter((m) => m.verdict === 'regression').map((m) => m.metric),
  };
}

const fmt = (v: number | undefined, digits = 1): string =>
  v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits);
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
const cell = (s: StatComparison | undefined): string =>
  s ? `${fmt(s.baseline)} -> ${fmt(s.candidate)} (${signed(s.delta)} [${signed(s.lo)}, ${signed(s.hi)}])` : '-';

/** The console table. */
export function comparisonTable(c: Comparison): string {
  const rows = [
    ['metric', 'n base/cand', 'p50 base -> cand (delta [95% CI])', 'p95 base -> cand (delta [95% CI])', 'verdict'],
  ];
  for (const m of c.metrics)
    rows.push([m.metric, `${m.baselineCount}/${m.candidateCount}`, cell(m.p50), cell(m.p95), m.verdict]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((v, i) => v.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `compare.md`: ready to paste as a pull-request comment. */
export function comparisonMarkdown(c: Comparison): string {
  const head =
    c.regressions.length > 0
      ? `**Regression** in ${c.regressions.map((m) => `\`${m}\``).join(', ')}`
      : '**No regression**';
  const lines = [
    `### glassbench compare: ${c.candidate.scenario}`,
    '',
    `${head} (candidate \`${c.candidate.runId}\` against baseline \`${c.baseline.runId}\`; a regression is a worsening of the ${c.gate.join(' or ')} whose 95% bootstrap interval excludes zero and which exceeds the tolerance).`,
    '',
    '| metric | n (base / cand) | p50 base -> cand | p50 delta [95% CI] | p95 base -> cand | p95 delta [95% CI] | tolerance | verdict |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const m of c.metrics) {
    const stat = (s: StatComparison | undefined): [string, string] =>
      s
        ? [`${fmt(s.baseline)} -> ${fmt(s.candidate)}`, `${signed(s.delta)} [${signed(s.lo)}, ${signed(s.hi)}]`]
        : ['-', '-'];
    const verdict =
      m.verdict === 'regression'
        ? ':red_circle: regression'
        : m.verdict === 'improvement'
          ? ':green_circle: improvement'
          : m.verdict;
    lines.push(
      `| \`${m.metric}\` | ${m.baselineCount} / ${m.candidateCount} | ${stat(m.p50).join(' | ')} | ${stat(m.p95).join(' | ')} | ${m.tolerance.pct}% and ${m.tolerance.abs} | ${verdict} |`,
    );
  }
  for (const h of c.history ?? []) {
    lines.push(
      '',
      `${h.step ? ':warning: **step change**' : 'no step change'} in \`${h.metric}\`: candidate median ${fmt(h.candidate)} against ${fmt(h.historyMedian)} +/- ${fmt(h.band)} over the last ${h.runs} passing runs`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `junit.xml`: one test case per metric, failing on a regression. */
export function comparisonJunit(c: Comparison): string {
  const cases = c.metrics.map((m) => {
    const name = escapeXml(m.metric);
    const detail = escapeXml(`p50 ${cell(m.p50)}; p95 ${cell(m.p95)}`);
    if (m.verdict === 'regression')
      return `    <testcase classname="glassbench.compare" name="${name}"><failure message="${escapeXml(`${m.metric} regressed`)}">${detail}</failure></testcase>`;
    if (m.verdict === 'too few samples')
      return `    <testcase classname="glassbench.compare" name="${name}"><skipped message="too few samples"/></testcase>`;
    return `    <testcase classname="glassbench.compare" name="${name}"><system-out>${detail}</system-out></testcase>`;
  });
  const failures = c.regressions.length;
  const skipped = c.metrics.filter((m) => m.verdict === 'too few samples').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="glassbench compare" tests="${cases.length}" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="${escapeXml(`glassbench compare ${c.candidate.scenario}`)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** `--tolerance metric=PCT%,ABS` (either part may be left out: `frame_latency_ms=10%` or `sfu_ms=2`). */
export function parseTolerance(text: string, base: Tolerance): { metric: string; tolerance: Tolerance } {
  const match = /^([a-z0-9_]+)=(.+)$/.exec(text.trim());
  if (!match) throw new Error(`--tolerance ${text}: expected metric=PCT%,ABS (e.g. frame_latency_ms=10%,3)`);
  const tolerance = { ...base };
  for (const part of (match[2] as string).split(',')) {
    const p = part.trim();
    if (/^\d+(\.\d+)?%$/.test(p)) tolerance.pct = Number(p.slice(0, -1));
    else if (/^\d+(\.\d+)?(ms)?$/.test(p)) tolerance.abs = Number(p.replace(/ms$/, ''));
    else throw new Error(`--tolerance ${text}: "${p}" is neither a percentage (10%) nor an amount (3)`);
  }
  return { metric: match[1] as string, tolerance };
}

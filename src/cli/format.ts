/** Console text of the CLI: the live progress line and the end-of-run summary table. */
import type { TrendSummary } from '../metrics/histogram.js';
import { saturationAdvice } from '../metrics/saturation.js';
import type { CounterSummary, RateSummary } from '../metrics/series.js';
import type { RunEvent } from '../orchestrator/types.js';
import { bottleneckWho, type CapacitySummary, type RunSummary } from '../report/summary.js';
import { formatDurationMs } from '../scenario/duration.js';

const fmt = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined ? '-' : v.toFixed(digits);

export function progressLine(event: Extract<RunEvent, { type: 'progress' }>): string {
  const p95 = event.recentP95Ms === null ? '-' : `${event.recentP95Ms.toFixed(1)} ms`;
  const budget =
    event.budgetP95Ms === null
      ? ''
      : ` (budget ${event.budgetP95Ms} ms${event.recentP95Ms !== null && event.recentP95Ms >= event.budgetP95Ms ? ', OVER' : ''})`;
  return [
    `${formatDurationMs(event.elapsedMs)}/${formatDurationMs(event.totalMs)}`,
    `peers ${event.peersConnected}/${event.peersPlanned}`,
    `${event.framesPerSecond.toFixed(0)} frames/s`,
    `${event.latencyMetric.replace(/_ms$/, '')} p95 ${p95}${budget}`,
    ...(event.saturated ? [`SATURATED (${event.saturatedBy.join(', ')})`] : []),
  ].join('  ');
}

type MetricSummary = TrendSummary | CounterSummary | RateSummary;

function isTrend(value: MetricSummary): value is TrendSummary {
  return 'p95' in value;
}

function isRate(value: MetricSummary): value is RateSummary {
  return 'hits' in value;
}

/** A counter's count, or a Rate's fraction with its samples. */
function countText(value: CounterSummary | RateSummary): string {
  return isRate(value)
    ? `${value.rate === null ? '-' : value.rate.toFixed(4)} (${value.hits}/${value.count})`
    : Number.isInteger(value.count)
      ? String(value.count)
      : value.count.toFixed(1); // a counter of ms (freeze_ms)
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** Variants side by side: per metric, each variant's median / p95 (latencies) or count (counters). */
function variantsTable(summary: RunSummary): string[] {
  const variants = summary.variants ?? [];
  const names = [...new Set(variants.flatMap((v) => Object.keys(v.metrics)))];
  const rows = [['metric', ...variants.map((v) => `${v.name} (${v.placement}) p50 / p95 or count`)]];
  for (const name of names) {
    rows.push([
      name,
      ...variants.map((v) => {
        const m = v.metrics[name];
        if (!m) return '-';
        return isTrend(m) ? `${fmt(m.p50)} / ${fmt(m.p95)}` : countText(m);
      }),
    ]);
  }
  rows.push([
    'cpu % (sfu, browsers)',
    ...variants.map((v) => `${fmt(v.cpuPctMean['sfu'])}, ${fmt(v.cpuPctMean['browser'])}`),
  ]);
  rows.push([
    'status',
    ...variants.map((v) => `${v.status} (${v.rounds.length} round${v.rounds.length === 1 ? '' : 's'})`),
  ]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => pad(c, widths[i] ?? 0, i > 0)).join('  '));
}

export function summaryTable(summary: RunSummary): string {
  const lines: string[] = [];
  if (summary.variants) lines.push(...variantsTable(summary));
  const trendRows = Object.entries(summary.metrics).filter(([, v]) => isTrend(v)) as [string, TrendSummary][];
  const counterRows = Object.entries(summary.metrics).filter(([, v]) => !isTrend(v)) as [
    string,
    CounterSummary | RateSummary,
  ][];
  const header = ['metric', 'count', 'min', 'mean', 'p50', 'p90', 'p95', 'p99', 'max'];
  // a cross-host stage whose clock uncertainty is over 10% of its median is marked `~` (summary.clock)
  const uncertain = new Set((summary.clock?.uncertainMetrics ?? []).map((m) => m.metric));
  const label = (name: string): string => (uncertain.has(name) ? `${name} ~` : name);
  const widths = [Math.max(18, ...trendRows.map(([name]) => label(name).length)), 8, 8, 8, 8, 8, 8, 8, 8];
  if (!summary.variants) {
    lines.push(header.map((h, i) => pad(h, widths[i] as number, i > 0)).join(' '));
    for (const [name, t] of trendRows) {
      const cells = [
        label(name),
        String(t.count),
        fmt(t.min),
        fmt(t.mean),
        fmt(t.p50),
        fmt(t.p90),
        fmt(t.p95),
        fmt(t.p99),
        fmt(t.max),
      ];
      lines.push(cells.map((c, i) => pad(c, widths[i] as number, i > 0)).join(' '));
    }
    lines.push('');
    lines.push(counterRows.map(([name, c]) => `${name} ${countText(c)}`).join('   '));
    const a = summary.accounting;
    if (a) {
      const extra = [
        a.discardedReader > 0 ? `${a.discardedReader} of the received discarded by a page reader` : '',
        a.skipped > 0 ? `${a.skipped} skipped by publishers (never sent)` : '',
        a.stale > 0 ? `${a.stale} receipts past the late horizon` : '',
      ].filter((t) => t !== '');
      lines.push(
        `frames expected at receivers ${a.expected} = received ${a.received} + late ${a.late} + lost ${a.lost}${a.holds ? '' : ' (DOES NOT ADD UP)'}${extra.length > 0 ? `; ${extra.join('; ')}` : ''}`,
      );
    }
    const identity = summary.identity;
    if (identity && identity.subscriptions.length > 0) {
      // how frames were named: through an SFU that rewrites RTP the methods change, and a reader should know
      const methods = Object.entries(identity.methods).map(([method, n]) => `${method} ${n}`);
      lines.push(`frames named by ${methods.join(', ') || 'nothing'}; identity lost ${identity.identityLost}`);
    }
  }
  if (summary.clock && !summary.variants) lines.push(clockLine(summary.clock));
  const thresholdLines: string[] = [];
  for (const [key, results] of Object.entries(summary.thresholds)) {
    for (const r of results) {
      const actual = r.actual === null ? 'no samples' : `actual ${fmt(r.actual, 2)}`;
      thresholdLines.push(`  ${r.ok ? 'PASS' : 'FAIL'}  ${key} ${r.expr}  (${actual})`);
    }
  }
  if (thresholdLines.length > 0) {
    lines.push('', 'thresholds:', ...thresholdLines);
  }
  if (summary.peers.failed.length > 0) {
    lines.push('', `failed peers (${summary.peers.failed.length}):`);
    for (const f of summary.peers.failed.slice(0, 10)) lines.push(`  ${f.peer}: ${f.message}`);
  }
  const errors = summary.peers.errors;
  if (errors && errors.count > 0) {
    // errors the peers survived: the run went on, but say what went wrong and where
    lines.push('', `peer errors (${errors.count}, survived):`);
    for (const r of errors.reasons.slice(0, 10))
      lines.push(
        `  ${r.count} x ${r.reason} (${r.peers.slice(0, 5).join(', ')}${r.peers.length > 5 ? `, +${r.peers.length - 5} more` : ''})`,
      );
  }
  if (summary.bottleneck) {
    const who = bottleneckWho(summary.bottleneck.process);
    lines.push(
      '',
      `BOTTLENECK: ${who} could not keep up (${summary.bottleneck.reason}); the run is valid: this is the system under test's limit.`,
    );
  }
  for (const note of summary.notes) lines.push('', `note: ${note}`);
  if (summary.saturated) {
    lines.push('', 'WARNING: the load generator was saturated: these numbers measure the harness, not the system.');
    for (const reason of summary.saturation?.reasons ?? []) lines.push(`  SATURATED  ${reason.text}`);
    if (!summary.saturation) lines.push('  (no reasons recorded: see the notes above)');
    if (summary.saturation)
      lines.push(
        `  What to do: ${saturationAdvice(summary.saturation)} (docs/outputs.md, "CI gating: saturation and bottleneck").`,
      );
  }
  return lines.join('\n');
}

/** The last line of `glassbench capacity`: the knee, or the harness limit that stopped the search before one. */
export function capacityLine(c: CapacitySummary): string {
  const steps = `(${c.steps.length} step(s), ${c.search} search)`;
  if (c.harnessLimit && c.firstFailure === null) {
    const below =
      c.harnessLimit.lastPass !== null ? `; every threshold held up to ${c.harnessLimit.lastPass} call(s)` : '';
    return `capacity: harness limit at ${c.harnessLimit.calls} concurrent call(s): the load generator saturated before any threshold failed, so no knee${below} ${steps}`;
  }
  const knee = c.knee === null ? 'no load met every threshold' : `knee at ${c.knee} concurrent call(s)`;
  const limit = c.harnessLimit ? `; the load generator saturated at ${c.harnessLimit.calls} call(s)` : '';
  return `capacity: ${knee}${c.firstFailure !== null ? `; ${c.firstFailure} call(s) failed` : ''}${limit} ${steps}`;
}

/** The shard's clock offset to the SFU's host, and what `~` in the table means. */
function clockLine(clock: NonNullable<RunSummary['clock']>): string {
  const sign = clock.offsetMs >= 0 ? '+' : '';
  const bound = clock.uncertaintyMs === null ? 'unknown' : `+/- ${fmt(clock.uncertaintyMs, 3)} ms`;
  const marked =
    clock.uncertainMetrics.length > 0
      ? `; ~ = clock uncertainty over 10% of the median (${clock.uncertainMetrics.map((m) => m.metric).join(', ')})`
      : '';
  return `clock: ${clock.method}, offset ${sign}${fmt(clock.offsetMs, 3)} ms ${bound} (${clock.samples} exchanges)${marked}`;
}

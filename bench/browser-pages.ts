/**
 * Bench part (c): what a browser subscriber page costs. One Chromium holds a browser publisher page
 * (640x360, 30 fps, 600 kbps VP8) and N subscriber pages; each page count runs `repeats` times, counts in
 * rising order, to 12 pages or until the run saturates. Chromium's CPU (every process of it, percent of a core)
 * against N is fitted by least squares: the slope is the marginal cost of one subscriber page, the intercept the
 * fixed cost (the publisher page and the browser). The spread is the slope fitted to each repeat's points alone.
 * Next to it: the page time to read a frame's marker, and the share of frames that got a latency.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { linearRegression } from 'simple-statistics';

import type { TrendSummary } from '../src/metrics/histogram.js';
import { saturationBrief } from '../src/metrics/saturation.js';
import { runScenario } from '../src/orchestrator/runner.js';
import type { RunSummary } from '../src/report/summary.js';
import { scenarioFromText } from '../src/scenario/validate.js';
import { f1 } from './format.js';

export interface BrowserPagesPoint {
  pages: number;
  repeat: number;
  chromiumCpuPct: number | null;
  fpsMin: number | null;
  g2gP50Ms: number | null;
  markerReadP50Ms: number | null;
  markerReadP95Ms: number | null;
  /** page time to score a frame's picture quality (video_quality_ms) */
  qualityP50Ms: number | null;
  /** frames with a glass-to-glass latency / frames received at the pages (>= 0.99 is every frame measured) */
  measuredShare: number | null;
  saturated: boolean;
  /** who crossed which saturation line, when saturated */
  saturatedBy: string;
}

export interface BrowserPagesResult {
  hold: string;
  /** the pages scored every Nth frame's picture quality (BENCH_BROWSER_QUALITY); absent: every frame */
  qualityEvery?: number;
  points: BrowserPagesPoint[];
  /** least-squares fit of Chromium CPU % on pages, over every unsaturated point */
  slopePctPerPage: number | null;
  fixedPct: number | null;
  /** the slope of each repeat's points alone */
  slopesByRepeat: number[];
  /** the most pages that ran unsaturated, every frame measured, fps >= 25 */
  maxPages: number;
}

/** y = a + b x by least squares (simple-statistics); null without two distinct x. */
export function leastSquares(points: readonly { x: number; y: number }[]): { slope: number; intercept: number } | null {
  if (new Set(points.map((p) => p.x)).size < 2) return null;
  const { m, b } = linearRegression(points.map((p) => [p.x, p.y]));
  return { slope: m, intercept: b };
}

/** pages start up (first decode, code compiled) in stalls of their main thread: not the steady cost measured */
const WARMUP = '3s';

async function runPages(pages: number, hold: string, qualityEvery: number | undefined): Promise<RunSummary> {
  const quality = qualityEvery === undefined ? '' : `, quality: { sampleEvery: ${qualityEvery} }`;
  const scenario = scenarioFromText(`name: bench-pages-${pages}
duration: ${hold}
warmup: ${WARMUP}
runners: 1
connectTimeout: 60s
sfu: { workers: 1 }
peers:
  - { role: publisher, kind: browser, count: 1, video: { width: 640, height: 360, fps: 30, bitrateKbps: 600 } }
  - { role: subscriber, kind: browser, count: ${pages}${quality} }
`);
  const dir = await mkdtemp(join(tmpdir(), 'glassbench-bench-'));
  try {
    return (await runScenario({ scenario, runId: `bench-pages-${pages}`, outDir: dir })).summary;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function pointOf(pages: number, repeat: number, s: RunSummary): BrowserPagesPoint {
  const trend = (name: string): TrendSummary | undefined => s.metrics[name] as TrendSummary | undefined;
  const received = (s.metrics['frames_received'] as { count: number } | undefined)?.count ?? 0;
  const g2g = trend('g2g_latency_ms');
  return {
    pages,
    repeat,
    chromiumCpuPct: s.processes['browser-1']?.cpuPctMean ?? null,
    fpsMin: trend('fps_received')?.min ?? null,
    g2gP50Ms: g2g?.p50 ?? null,
    markerReadP50Ms: trend('marker_read_ms')?.p50 ?? null,
    markerReadP95Ms: trend('marker_read_ms')?.p95 ?? null,
    qualityP50Ms: trend('video_quality_ms')?.p50 ?? null,
    measuredShare: received > 0 ? Math.round(((g2g?.count ?? 0) / received) * 10_000) / 10_000 : null,
    saturated: s.saturated,
    saturatedBy: s.saturation ? saturationBrief(s.saturation) : '',
  };
}

export async function benchBrowserPages(options: {
  steps: number[];
  repeats: number;
  hold: string;
  qualityEvery?: number;
  log: (text: string) => void;
}): Promise<BrowserPagesResult> {
  const points: BrowserPagesPoint[] = [];
  let maxPages = 0;
  for (const pages of options.steps) {
    let saturated = false;
    for (let repeat = 1; repeat <= options.repeats; repeat += 1) {
      options.log(`(c) ${pages} browser subscriber page(s) and a browser publisher in one Chromium, run ${repeat} ...`);
      const p = pointOf(pages, repeat, await runPages(pages, options.hold, options.qualityEvery));
      points.push(p);
      options.log(
        `    Chromium CPU ${p.chromiumCpuPct}%, fps min ${p.fpsMin}, marker read p50 ${p.markerReadP50Ms} ms, quality p50 ${p.qualityP50Ms} ms, measured ${p.measuredShare}, saturated ${p.saturated}${p.saturated ? ` (${p.saturatedBy})` : ''}`,
      );
      saturated ||= p.saturated;
      if (!p.saturated && (p.measuredShare ?? 0) >= 0.99 && (p.fpsMin ?? 0) >= 25) maxPages = Math.max(maxPages, pages);
    }
    if (saturated) break;
  }
  const usable = points.filter((p) => !p.saturated && p.chromiumCpuPct !== null);
  const fit = leastSquares(usable.map((p) => ({ x: p.pages, y: p.chromiumCpuPct as number })));
  const slopesByRepeat: number[] = [];
  for (let repeat = 1; repeat <= options.repeats; repeat += 1) {
    const own = usable.filter((p) => p.repeat === repeat).map((p) => ({ x: p.pages, y: p.chromiumCpuPct as number }));
    const f = leastSquares(own);
    if (f) slopesByRepeat.push(Math.round(f.slope * 100) / 100);
  }
  return {
    hold: options.hold,
    ...(options.qualityEvery === undefined ? {} : { qualityEvery: options.qualityEvery }),
    points,
    slopePctPerPage: fit ? Math.round(fit.slope * 100) / 100 : null,
    fixedPct: fit ? Math.round(fit.intercept * 10) / 10 : null,
    slopesByRepeat,
    maxPages,
  };
}

export function browserPagesTable(r: BrowserPagesResult): string[] {
  return [
    `| subscriber pages (+1 publisher page, one Chromium, ${r.hold}${r.qualityEvery ? `, quality every ${r.qualityEvery}th frame` : ''}) | run | Chromium CPU % | fps min | g2g p50 ms | marker read p50 / p95 ms | quality p50 ms | measured | saturated |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...r.points.map(
      (p) =>
        `| ${p.pages} | ${p.repeat} | ${f1(p.chromiumCpuPct)} | ${f1(p.fpsMin)} | ${f1(p.g2gP50Ms)} | ${p.markerReadP50Ms ?? '-'} / ${p.markerReadP95Ms ?? '-'} | ${p.qualityP50Ms ?? '-'} | ${p.measuredShare ?? '-'} | ${p.saturated ? 'yes' : 'no'} |`,
    ),
    '',
    `Per added subscriber page: ${r.slopePctPerPage ?? '-'}% of a core (by repeat: ${r.slopesByRepeat.join(', ') || '-'}); fixed cost ${r.fixedPct ?? '-'}%; most pages unsaturated with every frame measured: ${r.maxPages}.`,
  ];
}

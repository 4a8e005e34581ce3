/**
 * What the report page reads: the part of `ReportData` (src/report/report-data.ts) the charts draw, declared
 * here because the page is type-checked for the browser (tsconfig.report-page.json, no Node types) and so cannot
 * import the Node-side module. html.ts assigns a `ReportData` to this type, so the two cannot drift apart.
 * No globals here: html.ts (Node) imports this file; the page's globals are in globals.d.ts.
 */
export interface ReportPageData {
  headline: string;
  /** cross-host stages whose clock uncertainty is over 10% of their median (summary.clock): marked in the charts */
  uncertainMetrics?: string[];
  groups: {
    name: string;
    cdfs: { metric: string; points: [number, number][]; budgets: number[] }[];
    overTime: { label: string; points: [number, number, number][] }[];
    waterfall: { stage: string; p50: number; p95: number }[];
    bars: Record<string, number>;
  }[];
  load?: {
    stages: { label: string; startS: number; latency: Record<string, { p50: number | null; p95: number | null }> }[];
    peers: [number, number][];
  };
  stagesOverTime?: { stages: { metric: string; points: [number, number][] }[]; sfuLoopDelayMs: [number, number][] };
  capacity?: {
    steps: {
      calls: number;
      p95: Record<string, number | null>;
      sfuCpuPct: number | null;
      runnerCpuPct: number | null;
    }[];
    knee: number | null;
    harnessLimit?: { calls: number };
  };
}

/** A point of a line chart; `y` may be missing (null or undefined: Chart.js leaves a gap). */
export interface Point<Y = number> {
  x: number;
  y: Y;
}

/** A line dataset as the report configures it (Chart.js options by name; see chartjs.org, line chart). */
export interface LineDataset<Y = number> {
  /** undefined: no legend entry (the legend filter drops it) */
  label: string | undefined;
  data: Point<Y>[];
  borderColor: string;
  borderWidth: number;
  pointRadius: number;
  borderDash?: number[];
  stepped?: boolean;
  yAxisID?: string;
}

export interface BarDataset {
  label: string;
  data: number[];
  backgroundColor: string | string[];
}

/**
 * The subset of Chart.js's configuration the report uses. Chart.js's own generic config types do not admit the
 * gaps (null or undefined y) nor the mixed datasets the report draws on purpose, so the page states its own.
 */
export type ChartConfig =
  | { type: 'line'; data: { datasets: LineDataset<number | null | undefined>[] }; options?: Record<string, unknown> }
  | { type: 'bar'; data: { labels: string[]; datasets: BarDataset[] }; options?: Record<string, unknown> };

/** The report page's globals: what html.ts puts in the page before the bundle, and what the bundle leaves. */
import type { ChartConfig, ReportPageData } from './types.js';

declare global {
  /** The run's data, embedded by html.ts in the script before the bundle. */
  const DATA: ReportPageData;
  /** Chart.js's UMD build, inlined by html.ts before the bundle (it registers every chart type). */
  const Chart: new (canvas: HTMLCanvasElement, config: ChartConfig) => unknown;
  interface Window {
    /** charts drawn: the integration tests wait for it before they read the page */
    glassbenchCharts?: number;
  }
}

export {};

/**
 * Per-process CPU and memory, and the saturation rule (design.md section 4): a load generator that stays
 * above 85% of a core for more than 10% of the run measures the harness, not the system.
 */
import type { ProcessUsage } from '../report/summary.js';
import type { MetricSeries } from './series.js';

export const SATURATION_CPU_PCT = 85;
export const SATURATION_SHARE = 0.1;

interface Usage {
  samples: number;
  cpuSum: number;
  cpuMax: number;
  over: number;
  rssMax: number;
  loadGenerator: boolean;
}

export class ProcessUsageTracker {
  private readonly usage = new Map<string, Usage>();
  /** samples taken before this (connection set-up) are not counted: see FrameCollector.measureFromMs */
  windowStartMs = Number.POSITIVE_INFINITY;

  constructor(private readonly series: MetricSeries) {}

  /**
   * `saturationCpuPct` is what the 85% line is checked against when it differs from the reported CPU: for a
   * browser, its busiest process (a whole Chromium tree legitimately uses more than one core).
   */
  record(process: string, sample: { ms: number; cpuPct: number; rssMb: number }, loadGenerator: boolean, saturationCpuPct = sample.cpuPct): void {
    if (sample.ms < this.windowStartMs) return;
    const { cpuPct, rssMb } = sample;
    let u = this.usage.get(process);
    if (!u) {
      u = { samples: 0, cpuSum: 0, cpuMax: 0, over: 0, rssMax: 0, loadGenerator };
      this.usage.set(process, u);
    }
    u.samples += 1;
    u.cpuSum += cpuPct;
    u.cpuMax = Math.max(u.cpuMax, cpuPct);
    u.rssMax = Math.max(u.rssMax, rssMb);
    if (saturationCpuPct > SATURATION_CPU_PCT) u.over += 1;
    this.series.record('cpu_pct', cpuPct, { process });
    this.series.record('rss_mb', rssMb, { process });
  }

  /** Load generators that crossed the saturation rule. */
  saturatedProcesses(): string[] {
    return [...this.usage.entries()]
      .filter(([, u]) => u.loadGenerator && u.samples > 0 && u.over / u.samples > SATURATION_SHARE)
      .map(([name]) => name);
  }

  snapshot(): Record<string, ProcessUsage> {
    const out: Record<string, ProcessUsage> = {};
    const round = (v: number): number => Math.round(v * 10) / 10;
    for (const [name, u] of this.usage) {
      out[name] = {
        samples: u.samples,
        cpuPctMean: round(u.cpuSum / Math.max(1, u.samples)),
        cpuPctMax: round(u.cpuMax),
        overSaturationShare: Math.round((u.over / Math.max(1, u.samples)) * 1000) / 1000,
        rssMbMax: round(u.rssMax),
      };
    }
    return out;
  }
}

/** Samples this process's CPU (100 = one core busy) and resident memory once per interval. */
import { nowMs } from './clock.js';

export interface ResourceSample {
  ms: number;
  cpuPct: number;
  rssMb: number;
}

export class ResourceSampler {
  private timer: NodeJS.Timeout | undefined;
  private lastCpu = process.cpuUsage();
  private lastMs = nowMs();

  constructor(
    private readonly onSample: (sample: ResourceSample) => void,
    private readonly intervalMs = 1000,
  ) {}

  start(): this {
    this.lastCpu = process.cpuUsage();
    this.lastMs = nowMs();
    this.timer = setInterval(() => this.onSample(this.sample()), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** One sample covering the time since the previous one. */
  sample(): ResourceSample {
    const cpu = process.cpuUsage(this.lastCpu);
    const ms = nowMs();
    const elapsedMs = Math.max(1, ms - this.lastMs);
    this.lastCpu = process.cpuUsage();
    this.lastMs = ms;
    return { ms, cpuPct: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100, rssMb: process.memoryUsage.rss() / 1048576 };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

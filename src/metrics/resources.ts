/**
 * Samples this process's CPU (100 = one core busy), resident memory and event-loop delay once per interval.
 * The event-loop delay is what a datagram or a timer waits before this process gets to it: time no stage stamp
 * can see, so it is reported beside the stages and judged for saturation.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

import { nowMs } from './clock.js';
import { ThreadCpuReader } from './threads.js';

export interface ResourceSample {
  ms: number;
  cpuPct: number;
  rssMb: number;
  /** event-loop delay over the interval (Node's monitorEventLoopDelay, 10 ms resolution): p99 and max, ms */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** CPU of the process's busiest thread (its event loop, or an encoder thread), % of one core; Linux only */
  busiestThreadCpuPct?: number;
}

/** how often every process reports its resources, ms: one sample per second */
export const RESOURCE_INTERVAL_MS = 1000;

/** resolution of the event-loop delay monitor, ms (Node's default is 10) */
const LOOP_RESOLUTION_MS = 10;

export class ResourceSampler {
  private timer: NodeJS.Timeout | undefined;
  private lastCpu = process.cpuUsage();
  private lastMs = nowMs();
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private threads: ThreadCpuReader | undefined;

  constructor(
    private readonly onSample: (sample: ResourceSample) => void,
    private readonly intervalMs = RESOURCE_INTERVAL_MS,
  ) {}

  start(): this {
    this.lastCpu = process.cpuUsage();
    this.lastMs = nowMs();
    this.threads = new ThreadCpuReader();
    this.loop.enable();
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
    // the monitor's histogram is in ns and counts the delay beyond its own resolution timer. No sample at all
    // means its timer never got to run since the last reset: the loop was blocked the whole interval (and the
    // delay still going on gets into the next sample), so the delay is at least the interval, not 0
    const hasLoop = this.loop.count > 0;
    const blockedMs = Math.max(0, elapsedMs - LOOP_RESOLUTION_MS);
    const loopDelayP99Ms = hasLoop ? Math.max(0, this.loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS) : blockedMs;
    const loopDelayMaxMs = hasLoop ? Math.max(0, this.loop.max / 1e6 - LOOP_RESOLUTION_MS) : blockedMs;
    this.loop.reset();
    const busiestThreadCpuPct = this.threads?.sample();
    const sample: ResourceSample = {
      ms,
      cpuPct: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
      rssMb: process.memoryUsage.rss() / 1048576,
      loopDelayP99Ms,
      loopDelayMaxMs,
    };
    if (busiestThreadCpuPct !== undefined) sample.busiestThreadCpuPct = busiestThreadCpuPct;
    return sample;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.loop.disable();
  }
}

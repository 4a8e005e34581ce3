/** What the run makes of a multi-worker reference SFU's telemetry: one process per worker, a dead worker a fault. */
import { describe, expect, it } from 'vitest';

import { FrameCollector } from '../../../src/metrics/collector.js';
import { ProcessUsageTracker } from '../../../src/metrics/saturation.js';
import { MetricSeries } from '../../../src/metrics/series.js';
import { FaultLog } from '../../../src/orchestrator/fault-log.js';
import { SfuTelemetry } from '../../../src/orchestrator/sfu-telemetry.js';
import type { RunEvent } from '../../../src/orchestrator/types.js';

function setUp(): {
  telemetry: SfuTelemetry;
  usage: ProcessUsageTracker;
  faults: FaultLog;
  series: MetricSeries;
  events: RunEvent[];
} {
  const series = new MetricSeries();
  const usage = new ProcessUsageTracker(series);
  usage.windowStartMs = 0;
  const collector = new FrameCollector(series, new Map(), () => undefined);
  collector.measureFromMs = 0;
  const faults = new FaultLog({ startedMs: 0, durationMs: 10_000, holdStartMs: () => 0 });
  const events: RunEvent[] = [];
  const telemetry = new SfuTelemetry({
    series,
    usage,
    collector,
    faults,
    emit: (e) => events.push(e),
    loadSteps: [],
    holdStartMs: () => 0,
    sendingStoppedMs: () => 0,
  });
  return { telemetry, usage, faults, series, events };
}

const second = (ms: number, cpuPct: number, loopDelayP99Ms: number, worker?: number) =>
  ({
    k: 'res',
    ms,
    cpuPct,
    rssMb: 50,
    loopDelayP99Ms,
    loopDelayMaxMs: loopDelayP99Ms,
    ...(worker === undefined ? {} : { worker }),
  }) as const;

describe('SfuTelemetry with SFU workers', () => {
  it('records each worker as its own process (the front stays sfu), all of them the system under test', () => {
    const { telemetry, usage, series } = setUp();
    for (let ms = 1000; ms <= 4000; ms += 1000) {
      telemetry.onRecord(second(ms, 30, 2, 0));
      telemetry.onRecord(second(ms, 120, 400, 1));
      telemetry.onRecord(second(ms, 3, 200));
    }
    expect(Object.keys(usage.snapshot()).sort()).toEqual(['sfu', 'sfu-w0', 'sfu-w1']);
    expect(usage.snapshot()['sfu-w1']?.cpuPctMean).toBe(120);
    // a worker at 120% of a core is the system's limit, never a starved load generator
    expect(usage.judge().reasons).toEqual([]);
    expect(telemetry.sfuSeconds.map((s) => s.worker).slice(0, 3)).toEqual([0, 1, undefined]);
    // the front reads no media once workers are seen: sfu_loop_delay_ms is the workers' seconds only
    const loop = series.trend('sfu_loop_delay_ms');
    expect(loop?.count).toBe(8);
    expect(loop?.max).toBe(400);
  });

  it("records a worker's exit as a fault naming it, why and what it cost, and says when it is back; not fatal", () => {
    const { telemetry, faults, events } = setUp();
    telemetry.onRecord({
      k: 'worker',
      ms: 5000,
      worker: 1,
      pid: 4242,
      state: 'exited',
      reason: 'killed by SIGKILL',
      closed: { rooms: 1, publishers: 1, subscribers: 50 },
    });
    expect(faults.fatal).toBeUndefined();
    expect(faults.faults).toEqual([
      expect.objectContaining({
        what: 'SFU worker 1 (sfu-w1, pid 4242) exited (killed by SIGKILL)',
        fatal: false,
        peers: [],
        cost: 'its sessions ended: 1 room(s), 1 publisher(s), 50 subscriber(s); the SFU restarts the worker',
      }),
    ]);
    telemetry.onRecord({ k: 'worker', ms: 6000, worker: 1, pid: 4343, state: 'started', restarts: 1 });
    // a first start (restarts 0) is no news
    telemetry.onRecord({ k: 'worker', ms: 100, worker: 0, pid: 4000, state: 'started', restarts: 0 });
    expect(events.map((e) => (e.type === 'warning' ? e.message : e.type))).toEqual([
      'SFU worker 1 (sfu-w1, pid 4242) exited (killed by SIGKILL): its sessions ended: 1 room(s), 1 publisher(s), 50 subscriber(s); the SFU restarts the worker',
      'SFU worker 1 (sfu-w1) is back (pid 4343, restart 1); new rooms may be placed on it',
    ]);
    expect(faults.faults).toHaveLength(1);
  });
});

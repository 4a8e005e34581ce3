/** The saturation judge: which samples count (the measured window only) and each rule with its line. */
import { describe, expect, it } from 'vitest';

import { machineCpuBetween, parseProcStat } from '../../../src/metrics/machine.js';
import {
  judgeSaturation,
  ProcessUsageTracker,
  SATURATION_LINES,
  saturationAdvice,
  type UsageSample,
} from '../../../src/metrics/saturation.js';
import { MetricSeries } from '../../../src/metrics/series.js';

/** one sample a second, ending at 1000, 2000, ... ms */
function samples(values: { cpu?: number; judged?: number; loop?: number }[]): UsageSample[] {
  return values.map((v, i) => ({
    ms: (i + 1) * 1000,
    cpuPct: v.cpu ?? 10,
    judgedCpuPct: v.judged ?? v.cpu ?? 10,
    rssMb: 100,
    ...(v.loop !== undefined ? { loopDelayP99Ms: v.loop } : {}),
  }));
}
const quiet = (n: number): { cpu: number; loop: number }[] => Array.from({ length: n }, () => ({ cpu: 20, loop: 2 }));

describe('judgeSaturation', () => {
  it('flags a runner over 85% of a core in more than 10% of the samples, with worst, mean, share and time', () => {
    const cpu = [...quiet(7).map((q) => q.cpu), 90, 95, 99];
    const { reasons } = judgeSaturation(
      [{ name: 'runner-1', role: 'generator', samples: samples(cpu.map((c) => ({ cpu: c, loop: 1 }))) }],
      [],
    );
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({
      process: 'runner-1',
      measure: 'cpu_pct',
      line: 85,
      worst: 99,
      overShare: 0.3,
      overMs: 3000,
    });
    expect(reasons[0]?.mean).toBeCloseTo((7 * 20 + 90 + 95 + 99) / 10, 1);
    expect(reasons[0]?.text).toContain('runner-1: CPU of its busiest thread over 85% of a core in 3 of 10 samples');
  });

  it('judges a runner by its busiest thread: two encoder threads and a quiet event loop are not a starved runner', () => {
    const threads = samples([0, 0, 0, 0].map(() => ({ cpu: 120, judged: 45, loop: 3 })));
    expect(judgeSaturation([{ name: 'runner-1', role: 'generator', samples: threads }], []).reasons).toEqual([]);
    const mainBusy = samples([0, 0, 0, 0].map(() => ({ cpu: 120, judged: 96, loop: 3 })));
    expect(judgeSaturation([{ name: 'runner-1', role: 'generator', samples: mainBusy }], []).reasons[0]).toMatchObject({
      measure: 'cpu_pct',
      worst: 96,
    });
  });

  it('does not flag exactly 10% of the samples, nor a single second in a short window', () => {
    const ten = [...quiet(9).map((q) => q.cpu), 100];
    expect(
      judgeSaturation([{ name: 'runner-1', role: 'generator', samples: samples(ten.map((c) => ({ cpu: c }))) }], [])
        .reasons,
    ).toEqual([]);
    // 1 of 4 is 25%, but one second is a hiccup: at least minOverSamples (2) must be over
    expect(SATURATION_LINES.minOverSamples).toBe(2);
    const short = [20, 100, 20, 20];
    expect(
      judgeSaturation([{ name: 'runner-1', role: 'generator', samples: samples(short.map((c) => ({ cpu: c }))) }], [])
        .reasons,
    ).toEqual([]);
    const twice = [20, 100, 100, 20];
    expect(
      judgeSaturation([{ name: 'runner-1', role: 'generator', samples: samples(twice.map((c) => ({ cpu: c }))) }], [])
        .reasons,
    ).toHaveLength(1);
  });

  it('flags event-loop delay p99 over 20 ms for generators, not for the harness, and never judges the SFU', () => {
    const laggy = samples([2, 30, 45, 3, 2, 60].map((loop) => ({ cpu: 30, loop })));
    const hot = samples([99, 99, 99, 99].map((cpu) => ({ cpu, loop: 500 })));
    const { reasons } = judgeSaturation(
      [
        { name: 'runner-2', role: 'generator', samples: laggy },
        { name: 'harness', role: 'harness', samples: laggy },
        { name: 'sfu', role: 'system', samples: hot },
      ],
      [],
    );
    expect(reasons.map((r) => `${r.process} ${r.measure}`)).toEqual(['runner-2 loop_delay_ms']);
    expect(reasons[0]).toMatchObject({ line: 20, worst: 60, overShare: 0.5, overMs: 3000 });
  });

  it('judges the harness on CPU', () => {
    const { reasons } = judgeSaturation(
      [{ name: 'harness', role: 'harness', samples: samples([90, 90, 20, 20].map((cpu) => ({ cpu, loop: 500 }))) }],
      [],
    );
    expect(reasons.map((r) => `${r.process} ${r.measure}`)).toEqual(['harness cpu_pct']);
  });

  it("judges a browser by its busiest process, not its whole tree, and by its worst page's lag", () => {
    // the tree uses 150% (several processes), no process over the line: not saturated on CPU
    const tree = samples([0, 0, 0, 0].map(() => ({ cpu: 150, judged: 60, loop: 4 })));
    expect(judgeSaturation([{ name: 'browser-1', role: 'generator', samples: tree }], []).reasons).toEqual([]);
    const busy = samples([0, 0, 0, 0].map(() => ({ cpu: 150, judged: 97, loop: 40 })));
    const { reasons } = judgeSaturation([{ name: 'browser-1', role: 'generator', samples: busy }], []);
    expect(reasons.map((r) => r.measure)).toEqual(['cpu_pct', 'loop_delay_ms']);
    expect(reasons[0]).toMatchObject({ worst: 97, mean: 97 });
    expect(reasons[0]?.text).toContain('CPU of its busiest process');
    expect(reasons[1]?.text).toContain('main-thread lag p99 (worst page)');
  });

  it('flags the machine over 90% busy or over 10% steal, with no process over its line', () => {
    const machine = [50, 95, 97, 60, 50].map((cpuPct, i) => ({
      ms: (i + 1) * 1000,
      cpuPct,
      stealPct: [0, 12, 15, 11, 0][i] as number,
    }));
    const { reasons } = judgeSaturation([{ name: 'runner-1', role: 'generator', samples: samples(quiet(5)) }], machine);
    expect(reasons.map((r) => `${r.process} ${r.measure}`)).toEqual([
      'machine machine_cpu_pct',
      'machine machine_steal_pct',
    ]);
    expect(reasons[0]).toMatchObject({ line: 90, worst: 97, overShare: 0.4, overMs: 2000 });
    expect(reasons[1]).toMatchObject({ line: 10, worst: 15, overShare: 0.6, overMs: 3000 });
    expect(saturationAdvice({ lines: SATURATION_LINES, reasons })).toContain('this machine is full');
  });

  it('reports the lines in force even when nothing crossed them', () => {
    expect(judgeSaturation([], [])).toEqual({ lines: SATURATION_LINES, reasons: [] });
  });
});

describe('ProcessUsageTracker', () => {
  it('counts only samples whose second lies mostly in the window: connection and drain samples are left out', () => {
    const series = new MetricSeries();
    const tracker = new ProcessUsageTracker(series);
    const record = (ms: number, cpuPct: number, loopDelayP99Ms = 1): void =>
      tracker.record('runner-1', { ms, cpuPct, rssMb: 50, loopDelayP99Ms }, 'generator');
    // before the hold starts nothing is counted (windowStartMs is open until then)
    record(500, 100);
    tracker.windowStartMs = 10_000;
    record(10_400, 100, 300); // its second is mostly connection set-up
    for (let ms = 11_000; ms <= 16_000; ms += 1000) record(ms, 30);
    tracker.windowEndMs = 16_200; // sending stopped
    record(16_600, 30); // mostly before the stop: counted
    record(17_000, 100, 300); // the drain: publishers stopped, subscribers leave
    record(18_000, 100, 300);
    expect(tracker.samplesOf('runner-1').map((s) => s.ms)).toEqual([
      11_000, 12_000, 13_000, 14_000, 15_000, 16_000, 16_600,
    ]);
    expect(tracker.judge().reasons).toEqual([]);
    expect(tracker.snapshot()['runner-1']).toMatchObject({
      samples: 7,
      cpuPctMean: 30,
      cpuPctMax: 30,
      overSaturationShare: 0,
      loopDelayP99MsMax: 1,
    });
    expect(series.trend('cpu_pct')?.count).toBe(7);
    expect(series.trend('loop_delay_ms')?.count).toBe(7);
  });

  it('judges live and at the end alike: the same samples give the same reasons', () => {
    const tracker = new ProcessUsageTracker(new MetricSeries());
    tracker.windowStartMs = 0;
    for (let ms = 1000; ms <= 6000; ms += 1000)
      tracker.record('runner-1', { ms, cpuPct: 95, rssMb: 1, loopDelayP99Ms: 2 }, 'generator');
    for (let ms = 1000; ms <= 6000; ms += 1000) tracker.recordMachine({ ms, cpuPct: 50, stealPct: 0 });
    const live = tracker.judge();
    tracker.windowEndMs = 6000;
    expect(tracker.judge()).toEqual(live);
    expect(live.reasons.map((r) => `${r.process} ${r.measure}`)).toEqual(['runner-1 cpu_pct']);
  });

  it("records the SFU's samples without judging them or calling its loop delay a generator's", () => {
    const series = new MetricSeries();
    const tracker = new ProcessUsageTracker(series);
    tracker.windowStartMs = 0;
    for (let ms = 1000; ms <= 4000; ms += 1000)
      tracker.record('sfu', { ms, cpuPct: 120, rssMb: 1, loopDelayP99Ms: 400 }, 'system');
    expect(tracker.judge().reasons).toEqual([]);
    expect(tracker.samplesOf('sfu')).toHaveLength(4);
    expect(series.trend('cpu_pct')?.count).toBe(4);
    expect(series.trend('loop_delay_ms')?.count).toBe(0);
  });
});

describe('machine CPU from /proc/stat', () => {
  const stat = (user: number, system: number, idle: number, iowait: number, steal: number): string =>
    `cpu  ${user} 0 ${system} ${idle} ${iowait} 0 0 ${steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1\n`;

  it('reads busy (steal included) and stolen shares of all cores between two readings', () => {
    const a = parseProcStat(stat(1000, 500, 8000, 500, 0));
    const b = parseProcStat(stat(1600, 700, 8100, 500, 100)); // +600 user, +200 system, +100 idle, +100 steal
    expect(a && b).toBeTruthy();
    const { cpuPct, stealPct } = machineCpuBetween(a as never, b as never);
    expect(cpuPct).toBeCloseTo(90, 5); // 900 of 1000 ticks not idle
    expect(stealPct).toBeCloseTo(10, 5);
  });

  it('returns nothing for text without a cpu line', () => {
    expect(parseProcStat('intr 1 2 3\n')).toBeUndefined();
  });
});

/**
 * Per-process CPU, memory and event-loop delay, the machine's CPU, and the saturation judge (docs/outputs.md): a run
 * whose load generators were starved measures the harness, not the system. The judge looks
 * at the measured window only (hold start -> sending stopped) and applies the documented lines (docs/outputs.md,
 * "CI gating: saturation and bottleneck"). The SFU is the system under test: its samples are kept and reported here,
 * never judged.
 */
import type { ProcessUsage, SaturationReason, SaturationSummary } from '../report/summary.js';
import type { MachineSample } from './machine.js';
import { RESOURCE_INTERVAL_MS } from './resources.js';
import type { MetricSeries } from './series.js';

/** The lines (docs/outputs.md, "CI gating: saturation and bottleneck", says why each is where it is). */
export const SATURATION_LINES: SaturationSummary['lines'] = {
  /** % of one core: a single-threaded generator above this is falling behind its timers */
  cpuPct: 85,
  /** event-loop delay p99 over a second, ms: it adds straight to every time a runner or page stamps in JS */
  loopDelayMs: 20,
  /** % of all cores: above this, runnable processes wait for a core */
  machineCpuPct: 90,
  /** % of all cores taken by the hypervisor */
  machineStealPct: 10,
  /** a line must be crossed in more than this share of the window's samples */
  share: 0.1,
  /**
   * ... and in at least this many samples: in a 5 s window one second is 20%, and one second is a hiccup (a GC, a
   * process starting), not a starved run
   */
  minOverSamples: 2,
};

/**
 * What a process is to the judge:
 * - `generator` (peer runners, browsers) stamps frame times in JS: judged on CPU and event-loop delay;
 * - `harness` joins records that carry their own stamps, so its loop delay biases no latency (it is reported):
 *   judged on CPU only, which is where a harness that falls behind its records shows;
 * - `system` (the reference SFU) is the system under test: reported, never judged here.
 */
export type ProcessRole = 'generator' | 'harness' | 'system';

export interface UsageSample {
  /** end of the second the sample covers, wall-clock ms */
  ms: number;
  cpuPct: number;
  /** what the CPU line is checked against: a browser's busiest process, a runner's or the harness's busiest thread */
  judgedCpuPct: number;
  rssMb: number;
  /** event-loop delay p99 over the sample's second, ms (browsers: the worst page's lag probe) */
  loopDelayP99Ms?: number;
}

export interface JudgedProcess {
  name: string;
  role: ProcessRole;
  /** the window's samples only */
  samples: UsageSample[];
}

/** A sample belongs to the window when most of the second it covers lies inside it. */
export function inWindow(ms: number, startMs: number, endMs: number, intervalMs = RESOURCE_INTERVAL_MS): boolean {
  const midMs = ms - intervalMs / 2;
  return midMs >= startMs && midMs <= endMs;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

interface Crossing {
  process: string;
  measure: string;
  line: number;
  values: number[];
  /** how a person names the measure, and its unit */
  what: string;
  unit: string;
}

function crossing(
  { process, measure, line, values, what, unit }: Crossing,
  lines: SaturationSummary['lines'],
  intervalMs: number,
): SaturationReason | undefined {
  if (values.length === 0) return undefined;
  const over = values.filter((v) => v > line).length;
  const overShare = over / values.length;
  if (overShare <= lines.share || over < lines.minOverSamples) return undefined;
  const worst = round1(Math.max(...values));
  const mean = round1(values.reduce((a, b) => a + b, 0) / values.length);
  const overMs = over * intervalMs;
  const text = `${process}: ${what} over ${line}${unit} in ${over} of ${values.length} samples (${Math.round(overShare * 100)}% of the measured window, ${(overMs / 1000).toFixed(0)} s), worst ${worst}${unit}, mean ${mean}${unit}`;
  return { process, measure, line, worst, mean, overShare: Math.round(overShare * 1000) / 1000, overMs, text };
}

/** The judge: every line a generator process or the machine crossed, over the window's samples given. */
export function judgeSaturation(
  processes: JudgedProcess[],
  machine: MachineSample[],
  lines: SaturationSummary['lines'] = SATURATION_LINES,
  intervalMs = RESOURCE_INTERVAL_MS,
): SaturationSummary {
  const reasons: SaturationReason[] = [];
  const push = (c: Crossing): void => {
    const r = crossing(c, lines, intervalMs);
    if (r) reasons.push(r);
  };
  for (const p of [...processes].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))) {
    if (p.role === 'system') continue;
    const browser = p.name.startsWith('browser');
    push({
      process: p.name,
      measure: 'cpu_pct',
      line: lines.cpuPct,
      values: p.samples.map((s) => s.judgedCpuPct),
      what: browser ? 'CPU of its busiest process' : 'CPU of its busiest thread',
      unit: '% of a core',
    });
    if (p.role === 'generator') {
      const delays = p.samples.flatMap((s) => (s.loopDelayP99Ms === undefined ? [] : [s.loopDelayP99Ms]));
      push({
        process: p.name,
        measure: 'loop_delay_ms',
        line: lines.loopDelayMs,
        values: delays,
        what: browser ? 'main-thread lag p99 (worst page)' : 'event-loop delay p99',
        unit: ' ms',
      });
    }
  }
  push({
    process: 'machine',
    measure: 'machine_cpu_pct',
    line: lines.machineCpuPct,
    values: machine.map((m) => m.cpuPct),
    what: 'busy CPU',
    unit: '% of all cores',
  });
  push({
    process: 'machine',
    measure: 'machine_steal_pct',
    line: lines.machineStealPct,
    values: machine.map((m) => m.stealPct),
    what: 'stolen CPU',
    unit: '% of all cores',
  });
  return { lines: { ...lines }, reasons };
}

const MEASURE_WORDS: Record<string, string> = {
  cpu_pct: 'CPU',
  loop_delay_ms: 'event-loop delay',
  machine_cpu_pct: 'CPU',
  machine_steal_pct: 'steal',
};

/** One line for a person: who crossed what, e.g. `runner-1 CPU 97% of a core (100% of the window), machine CPU 95%`. */
export function saturationBrief(saturation: SaturationSummary): string {
  return saturation.reasons
    .map(
      (r) =>
        `${r.process} ${MEASURE_WORDS[r.measure] ?? r.measure} worst ${r.worst}${r.measure === 'loop_delay_ms' ? ' ms' : '%'} (over ${r.line}${r.measure === 'loop_delay_ms' ? ' ms' : '%'} in ${Math.round(r.overShare * 100)}% of the window)`,
    )
    .join(', ');
}

/** What to do about it: more runners for a busy process, more machines for a full machine. */
export function saturationAdvice(saturation: SaturationSummary): string {
  const processes = saturation.reasons.some((r) => r.process !== 'machine');
  const machine = saturation.reasons.some((r) => r.process === 'machine');
  const split = 'split the run over machines with --shard';
  if (processes && !machine) return `add peer runners (\`runners:\`) so each carries fewer peers, or ${split}`;
  if (machine && !processes) return `${split} (this machine is full: more runners on it will not help)`;
  return `${split}, with more peer runners (\`runners:\`) on each`;
}

export interface UsageInput {
  ms: number;
  cpuPct: number;
  rssMb: number;
  loopDelayP99Ms?: number;
}

/** Collects every process's samples and the machine's; records the window's into the metric series. */
export class ProcessUsageTracker {
  private readonly usage = new Map<string, { role: ProcessRole; samples: UsageSample[] }>();
  private readonly machine: MachineSample[] = [];
  /** samples before the hold (connection set-up, warm-up) are not counted: see FrameCollector.measureFromMs */
  windowStartMs = Number.POSITIVE_INFINITY;
  /** samples after sending stopped (the drain) are not counted; open while the hold runs */
  windowEndMs = Number.POSITIVE_INFINITY;

  /** `onSample`: each window sample as it is counted (the InfluxDB sink's `resources` points) */
  constructor(
    private readonly series: MetricSeries,
    private readonly onSample: (process: string, ms: number, fields: Record<string, number | undefined>) => void = () =>
      undefined,
  ) {}

  /**
   * `judgedCpuPct`: what the CPU line is checked against when it differs from the reported CPU: a browser's
   * busiest process, a Node process's busiest thread (undefined: the process's CPU).
   */
  record(
    process: string,
    sample: UsageInput,
    role: ProcessRole,
    judgedCpuPct: number | undefined = sample.cpuPct,
  ): void {
    judgedCpuPct ??= sample.cpuPct;
    if (!inWindow(sample.ms, this.windowStartMs, this.windowEndMs)) return;
    let u = this.usage.get(process);
    if (!u) {
      u = { role, samples: [] };
      this.usage.set(process, u);
    }
    const s: UsageSample = { ms: sample.ms, cpuPct: sample.cpuPct, judgedCpuPct, rssMb: sample.rssMb };
    if (sample.loopDelayP99Ms !== undefined) s.loopDelayP99Ms = sample.loopDelayP99Ms;
    u.samples.push(s);
    this.series.record('cpu_pct', sample.cpuPct, { process });
    this.series.record('rss_mb', sample.rssMb, { process });
    // the SFU's own loop delay is sfu_loop_delay_ms (the system under test), not a generator's
    if (s.loopDelayP99Ms !== undefined && role !== 'system')
      this.series.record('loop_delay_ms', s.loopDelayP99Ms, { process });
    this.onSample(process, s.ms, {
      cpu_pct: s.cpuPct,
      rss_mb: s.rssMb,
      ...(role !== 'system' ? { loop_delay_ms: s.loopDelayP99Ms } : {}),
    });
  }

  recordMachine(sample: MachineSample): void {
    if (!inWindow(sample.ms, this.windowStartMs, this.windowEndMs)) return;
    this.machine.push(sample);
    this.series.record('machine_cpu_pct', sample.cpuPct, {});
    this.series.record('machine_steal_pct', sample.stealPct, {});
    this.onSample('machine', sample.ms, { machine_cpu_pct: sample.cpuPct, machine_steal_pct: sample.stealPct });
  }

  /** The window's samples of one process (oldest first), for judges of the system under test too. */
  samplesOf(process: string): readonly UsageSample[] {
    return this.usage.get(process)?.samples ?? [];
  }

  get machineSamples(): readonly MachineSample[] {
    return this.machine;
  }

  /** The judge over the window so far: the live console flag and the summary use this one. */
  judge(): SaturationSummary {
    return judgeSaturation(
      [...this.usage].map(([name, u]) => ({ name, role: u.role, samples: u.samples })),
      this.machine,
    );
  }

  snapshot(): Record<string, ProcessUsage> {
    const out: Record<string, ProcessUsage> = {};
    for (const [name, { samples }] of this.usage) {
      const n = Math.max(1, samples.length);
      const cpu = samples.map((s) => s.cpuPct);
      const usage: ProcessUsage = {
        samples: samples.length,
        cpuPctMean: round1(cpu.reduce((a, b) => a + b, 0) / n),
        cpuPctMax: round1(Math.max(0, ...cpu)),
        overSaturationShare:
          Math.round((samples.filter((s) => s.judgedCpuPct > SATURATION_LINES.cpuPct).length / n) * 1000) / 1000,
        rssMbMax: round1(Math.max(0, ...samples.map((s) => s.rssMb))),
      };
      const delays = samples.flatMap((s) => (s.loopDelayP99Ms === undefined ? [] : [s.loopDelayP99Ms]));
      if (delays.length > 0) {
        usage.loopDelayP99MsMean = round1(delays.reduce((a, b) => a + b, 0) / delays.length);
        usage.loopDelayP99MsMax = round1(Math.max(...delays));
      }
      out[name] = usage;
    }
    return out;
  }
}

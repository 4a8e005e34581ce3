/**
 * The whole machine's CPU, read from /proc/stat: what every process of the run (and anything else on the host)
 * left free. A load generator can be starved without any one process crossing a line when the machine is full,
 * and a virtual machine can lose CPU to its hypervisor (steal) that no process's own CPU time shows.
 * Linux only; elsewhere `sample()` returns undefined rather than a guess.
 */
import { readFileSync } from 'node:fs';

import { nowMs } from './clock.js';

/** Cumulative CPU time of all cores (the `cpu` line of /proc/stat), in clock ticks. */
export interface CpuTimes {
  /** every tick counted, idle included */
  totalTicks: number;
  /** idle + iowait: time no runnable task wanted the CPU */
  idleTicks: number;
  /** time the hypervisor ran something else while this machine had work */
  stealTicks: number;
}

export interface MachineSample {
  /** end of the interval the sample covers, wall-clock ms */
  ms: number;
  /** busy share of all cores over the interval, percent (100 = every core busy); steal counts as busy */
  cpuPct: number;
  /** stolen share of all cores over the interval, percent */
  stealPct: number;
}

/**
 * The aggregate `cpu` line: user nice system idle iowait irq softirq steal [guest guest_nice]. guest and
 * guest_nice are already inside user and nice (kernel accounting), so they are not added again.
 */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (v.length < 4 || v.some((n) => !Number.isFinite(n))) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  return {
    totalTicks: user + nice + system + idle + iowait + irq + softirq + steal,
    idleTicks: idle + iowait,
    stealTicks: steal,
  };
}

/** Busy and stolen share of all cores between two readings, percent. */
export function machineCpuBetween(before: CpuTimes, after: CpuTimes): { cpuPct: number; stealPct: number } {
  const total = after.totalTicks - before.totalTicks;
  if (total <= 0) return { cpuPct: 0, stealPct: 0 };
  const idle = after.idleTicks - before.idleTicks;
  const steal = after.stealTicks - before.stealTicks;
  const pct = (ticks: number): number => Math.min(100, Math.max(0, (ticks / total) * 100));
  return { cpuPct: pct(total - idle), stealPct: pct(steal) };
}

/** Reads /proc/stat on each `sample()` and reports the interval since the previous one. */
export class MachineCpuReader {
  private last: CpuTimes | undefined;

  constructor(private readonly path = '/proc/stat') {
    this.last = this.read();
  }

  /** false where /proc/stat cannot be read (not Linux): the machine is then not judged */
  get available(): boolean {
    return this.last !== undefined;
  }

  sample(): MachineSample | undefined {
    const now = this.read();
    const before = this.last;
    this.last = now ?? before;
    if (!now || !before) return undefined;
    return { ms: nowMs(), ...machineCpuBetween(before, now) };
  }

  private read(): CpuTimes | undefined {
    try {
      return parseProcStat(readFileSync(this.path, 'utf8'));
    } catch {
      return undefined;
    }
  }
}

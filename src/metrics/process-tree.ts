/**
 * CPU and memory of a process and all its descendants (Chromium runs as a tree: browser, renderers, GPU,
 * network service), read from /proc. Linux only; elsewhere it reports nothing rather than a guess.
 */
import { readdirSync, readFileSync } from 'node:fs';

import { nowMs } from './clock.js';

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux
const PAGE_BYTES = 4096;

interface ProcStat {
  ppid: number;
  cpuTicks: number;
  rssPages: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may contain spaces and parentheses: fields start after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]), rssPages: Number(fields[21]) };
  } catch {
    return undefined;
  }
}

/** Children of `parent` whose command line contains `text`, lowest pid first (read from /proc; none elsewhere). */
export function childPidsRunning(parent: number | undefined, text: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (readStat(pid)?.ppid !== parent) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(text)) out.push(pid);
    } catch {
      // it ended meanwhile
    }
  }
  return out.sort((a, b) => a - b);
}

export interface TreeSample {
  /** CPU of the whole tree since the previous sample, % of one core */
  cpuPct: number;
  /** the busiest single process of the tree, % of one core: what saturation is judged on */
  maxProcessCpuPct: number;
  /** resident memory summed over the tree, MB (shared pages count once per process) */
  rssMb: number;
}

export class ProcessTreeSampler {
  private lastTicks = new Map<number, number>();
  private lastMs: number | undefined;

  constructor(private readonly rootPid: number) {}

  sample(): TreeSample | undefined {
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return undefined;
    }
    const stats = new Map<number, ProcStat>();
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readStat(Number(entry));
      if (stat) stats.set(Number(entry), stat);
    }
    if (!stats.has(this.rootPid)) return undefined;
    const children = new Map<number, number[]>();
    for (const [pid, stat] of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
    const ms = nowMs();
    const elapsedS = this.lastMs === undefined ? 0 : (ms - this.lastMs) / 1000;
    const ticksNow = new Map<number, number>();
    let deltaTicks = 0;
    let maxDelta = 0;
    let pages = 0;
    const queue = [this.rootPid];
    while (queue.length > 0) {
      const pid = queue.pop() as number;
      const stat = stats.get(pid);
      if (!stat) continue;
      ticksNow.set(pid, stat.cpuTicks);
      // per process, so processes that exit or start between samples do not skew the sum
      const delta = Math.max(0, stat.cpuTicks - (this.lastTicks.get(pid) ?? stat.cpuTicks));
      deltaTicks += delta;
      maxDelta = Math.max(maxDelta, delta);
      pages += stat.rssPages;
      queue.push(...(children.get(pid) ?? []));
    }
    this.lastTicks = ticksNow;
    this.lastMs = ms;
    const pct = (ticks: number): number => (elapsedS > 0 ? (ticks / CLOCK_TICKS_PER_S / elapsedS) * 100 : 0);
    return { cpuPct: pct(deltaTicks), maxProcessCpuPct: pct(maxDelta), rssMb: (pages * PAGE_BYTES) / 1048576 };
  }
}

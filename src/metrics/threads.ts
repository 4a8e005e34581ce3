/**
 * CPU of this process's busiest thread, from /proc/self/task. A Node process is more than its event loop:
 * live VP8 encoders run in worker threads, V8 and libuv have helpers. The process's CPU adds them up, so two
 * encoders and a quiet event loop can pass 85% of a core with no thread starving; what falls behind is a
 * single thread that is busy all the time. Linux only; elsewhere `sample()` returns undefined.
 */
import { readdirSync, readFileSync } from 'node:fs';

import { nowMs } from './clock.js';

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

function threadTicks(tid: string): number | undefined {
  try {
    const text = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // the thread name may contain spaces and parentheses: fields start after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined; // it ended meanwhile
  }
}

export class ThreadCpuReader {
  private last = new Map<string, number>();
  private lastMs = nowMs();
  private readonly available: boolean;

  constructor() {
    this.available = this.read() !== undefined;
  }

  /** % of one core used by the busiest thread since the previous call (the first call covers construction) */
  sample(): number | undefined {
    if (!this.available) return undefined;
    const before = this.last;
    const beforeMs = this.lastMs;
    const now = this.read();
    if (!now) return undefined;
    const elapsedS = (this.lastMs - beforeMs) / 1000;
    if (elapsedS <= 0) return undefined;
    let maxTicks = 0;
    // a thread that started since the last reading counts from its start
    for (const [tid, ticks] of now) maxTicks = Math.max(maxTicks, ticks - (before.get(tid) ?? 0));
    return (maxTicks / CLOCK_TICKS_PER_S / elapsedS) * 100;
  }

  private read(): Map<string, number> | undefined {
    let tids: string[];
    try {
      tids = readdirSync('/proc/self/task');
    } catch {
      return undefined;
    }
    const out = new Map<string, number>();
    for (const tid of tids) {
      const ticks = threadTicks(tid);
      if (ticks !== undefined) out.set(tid, ticks);
    }
    this.last = out;
    this.lastMs = nowMs();
    return out;
  }
}

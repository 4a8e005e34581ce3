/**
 * The run's fault log: what failed during the run (a peer, a runner, the SFU, the InfluxDB link), when, and
 * what it cost; and the one fault the run cannot go on with (`fatal`: the SFU died, no peer is left), which
 * ends the run with exit 107.
 */
import { nowMs } from '../metrics/clock.js';
import type { RunSummary } from '../report/summary.js';

type Fault = NonNullable<RunSummary['faults']>[number];

/** failures with the same cause this close together are one fault, ms */
const SAME_FAULT_MS = 2000;

interface FaultLogOptions {
  /** when the run started (nowMs()), ms: faults are timed from it */
  startedMs: number;
  /** the scenario's measured time, ms: a fatal fault says how much of it was lost */
  durationMs: number;
  /** when the hold started (nowMs()), ms; 0 before it */
  holdStartMs: () => number;
}

export class FaultLog {
  readonly faults: Fault[] = [];
  /** set when a part the run cannot do without died: the run ends, exit 107 */
  fatal: string | undefined;

  constructor(private readonly options: FaultLogOptions) {}

  /** Records a failure during the run; failures within 2 s with the same cause are one. */
  record(what: string, peers: string[], fatal: boolean, costText?: string): void {
    const atMs = Math.round(nowMs() - this.options.startedMs);
    const last = this.faults.at(-1);
    if (last && last.what === what && atMs - last.atMs < SAME_FAULT_MS) {
      last.peers.push(...peers.filter((p) => !last.peers.includes(p)));
      return;
    }
    const holdStartMs = this.options.holdStartMs();
    const remainingS =
      holdStartMs > 0 ? Math.max(0, (this.options.durationMs - (nowMs() - holdStartMs)) / 1000) : undefined;
    const cost =
      costText ??
      (fatal
        ? `the run ended${remainingS !== undefined ? ` ${remainingS.toFixed(1)} s before its measured time was over` : ' before it was measured'}; ${peers.length} peer(s) were connected`
        : `${peers.length} peer(s) left the run: ${peers.join(', ') || 'none'}`);
    this.faults.push({ atMs, what, peers: [...peers], fatal, cost });
  }

  /** Ends the run: the first fatal cause is the one reported. */
  setFatal(what: string): void {
    this.fatal ??= what;
  }
}

/** Contracts of a run: its options, the events it reports while going, and its result. */
import type { RunSummary } from '../report/summary.js';
import type { Scenario } from '../scenario/types.js';
import type { InfluxOptions } from '../sinks/types.js';
import type { StartAt } from './start-barrier.js';

export interface RunOptions {
  scenario: Scenario;
  runId: string;
  /** where summary.json, frames.ndjson.gz, junit.xml (and influx-pending.lp) go */
  outDir: string;
  /** also write points to InfluxDB */
  influx?: InfluxOptions;
  /** aborting it (Ctrl-C) drains and ends the run early with a partial report, status aborted */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /** `--shard i/n`: run only this shard's rooms; points carry the `shard` tag */
  shard?: { index: number; count: number };
  /** `--start-at`: the hold starts at this instant, after the warm-up (src/orchestrator/start-barrier.ts) */
  startAt?: StartAt;
  /** one variant's run of a scenario with variants: every record and point carries this `variant` tag */
  variant?: string;
}

export type RunPhase = 'starting' | 'connecting' | 'warming-up' | 'waiting' | 'running' | 'draining' | 'writing';

export type RunEvent =
  | { type: 'phase'; phase: RunPhase; message: string }
  | {
      type: 'progress';
      elapsedMs: number;
      totalMs: number;
      peersConnected: number;
      peersPlanned: number;
      framesPerSecond: number;
      /** p95 of the headline latency over the last second, null without frames */
      recentP95Ms: number | null;
      /** g2g_latency_ms with browser receivers, else frame_latency_ms */
      latencyMetric: string;
      /** the p(95) budget on that metric, when the scenario has one */
      budgetP95Ms: number | null;
      /** the saturation judge over the measured window so far (the summary's judge) */
      saturated: boolean;
      /** what crossed a line: `<process> <measure>` */
      saturatedBy: string[];
    }
  | { type: 'warning'; message: string }
  | { type: 'peer-failed'; peer: string; message: string };

export interface RunResult {
  summary: RunSummary;
  outDir: string;
  exitCode: number;
}

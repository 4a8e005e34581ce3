/** `summary.json`: the versioned result of a run (docs/outputs.md). */
import type { ThresholdResult } from '../budgets/types.js';
import type { TrendSummary } from '../metrics/histogram.js';
import type { IdentitySummary } from '../metrics/identity.js';
import type { CounterSummary, RateSummary } from '../metrics/series.js';
import type { AiSummary } from './ai-summary.js';
import type { CapacitySummary } from './capacity-summary.js';

export const SUMMARY_SCHEMA_VERSION = 1;

export type RunStatus =
  /** every threshold held */
  | 'passed'
  /** the run completed and a threshold failed (exit 99) */
  | 'failed'
  /** stopped by Ctrl-C or abortOnFail; the report holds what was measured until then (exit 105 / 99) */
  | 'aborted'
  /** the run could not be carried out (exit 107); partial results are kept */
  | 'error';

export interface ProcessUsage {
  /** samples taken (one per second) */
  samples: number;
  cpuPctMean: number;
  cpuPctMax: number;
  /** share of samples above the saturation line (85% of a core), 0..1 */
  overSaturationShare: number;
  rssMbMax: number;
  /**
   * event-loop delay p99 of each second (browsers: the worst page's main-thread lag), mean and max over the window, ms
   */
  loopDelayP99MsMean?: number;
  loopDelayP99MsMax?: number;
}

/** Why a run did not run its course (status aborted or error). */
export interface RunError {
  /** ABORTED (a signal), THRESHOLD_FAILED (abortOnFail), RUN_FAILED, ... */
  code: string;
  message: string;
  /** the signal that interrupted the run (SIGINT, SIGTERM), when one did */
  signal?: string;
}

/** One saturation line a load generator or the machine crossed over the measured window. */
export interface SaturationReason {
  /** `harness`, `runner-<n>`, `browser-<n>`, or `machine` */
  process: string;
  /** what was measured: `cpu_pct`, `loop_delay_ms`, `machine_cpu_pct`, `machine_steal_pct` */
  measure: string;
  /** the line, in the measure's unit */
  line: number;
  /** the measure's worst and mean value over the samples of the window */
  worst: number;
  mean: number;
  /** share of the window's samples over the line (0..1) and how long that was, ms */
  overShare: number;
  overMs: number;
  /** a sentence a person reads */
  text: string;
}

export interface SaturationSummary {
  /** the lines in force (documented in docs/outputs.md) */
  lines: {
    /** % of one core (runners and the harness: their busiest thread; browsers: their busiest process) */
    cpuPct: number;
    /** event-loop delay p99 of a second (browsers: the worst page's main-thread lag), ms */
    loopDelayMs: number;
    /** % of all cores */
    machineCpuPct: number;
    machineStealPct: number;
    /** a line counts when crossed in more than this share of the window's samples (0..1) ... */
    share: number;
    /** ... and in at least this many of them */
    minOverSamples: number;
  };
  reasons: SaturationReason[];
}

export interface Bottleneck {
  /** `sfu`, `sfu-w<index>` (one worker of a multi-worker reference SFU) or `ai` (the SFU's AI workers) */
  process: string;
  /** what showed it, e.g. "CPU 99% of a core in 95% of the window; event-loop delay p99 480 ms" */
  reason: string;
}

/**
 * Exact frame accounting over the measured window: `expected` counts (frame sent, receiver subscribed for the
 * frame's whole life) pairs; each is exactly one of `received` (within the loss window), `late` (after it) or
 * `lost` (never). `holds` is `received + late + lost == expected`.
 */
export interface FrameAccounting {
  expected: number;
  received: number;
  late: number;
  lost: number;
  holds: boolean;
  /** of `received`: frames complete at a browser receiver that its page's reader never got */
  discardedReader: number;
  /** frames due on the publishers' timetables that could not be sent in time (never expected) */
  skipped: number;
  /** receipts that reached the harness after their frame's late horizon (10 s after judging): the pair stayed lost */
  stale: number;
}

export interface MeasuredWindow {
  fromMs: number;
  toMs: number;
  durationMs: number;
}

export interface StageLatency {
  count: number;
  p50: number | null;
  p95: number | null;
}

export interface LoadSummary {
  executor: string;
  /** when the hold (measurement) began, ms after the run started: where stage times count from */
  holdOffsetMs: number;
  stages: {
    index: number;
    label: string;
    startMs: number;
    endMs: number;
    fromTarget: number;
    target: number;
    latency: Record<string, StageLatency>;
  }[];
  /** once a second: ms since the start of the hold, peers connected (publishers and subscribers), calls running */
  /**
   * once a second of the hold: peers and subscribers connected, frames received by every receiver since the
   * previous second (a link or an SFU that went away shows as a gap), and arrival-rate's calls running
   */
  timeline: { tMs: number; peers: number; subscribers: number; framesReceived: number; calls?: number }[];
  /** arrival-rate: calls started, and calls not started because maxCalls were running */
  calls?: { started: number; dropped: number };
}

export type { CapacityStep, CapacitySummary } from './capacity-summary.js';

/** How a shard learned its clock's offset to the SFU's host (src/orchestrator/clock-sync.ts). */
export type ClockMethod = 'same-host' | 'sfu-endpoint' | 'time-host' | 'unknown';

/** `summary.clock` (docs/outputs.md). */
export interface ClockSummary {
  method: ClockMethod;
  /** this shard's clock minus the SFU host's, ms: an SFU time reads in the shard's clock as sfu + offsetMs */
  offsetMs: number;
  /** the true offset lies within offsetMs +/- this at the end of the run, ms; null when unknown */
  uncertaintyMs: number | null;
  /** the largest uncertainty of the estimate in force over the measured window: what each corrected time may be off by, ms */
  uncertaintyMaxMs: number | null;
  /** the clock's smallest step, part of every uncertainty, ms */
  resolutionMs: number;
  /** the clock endpoint asked (`sfu-endpoint`, `time-host`) */
  source?: string;
  /** exchanges answered, and failed */
  samples: number;
  failed: number;
  /** bursts that gave an estimate (one at preflight, one every few seconds after), and their offsets' range, ms */
  estimates: number;
  offsetMinMs: number;
  offsetMaxMs: number;
  /** cross-host stage metrics (uplink_ms, downlink_ms, asr_ms) whose uncertainty is over 10% of their median */
  uncertainMetrics: { metric: string; p50Ms: number; uncertaintyMs: number | null }[];
  /** why the offset is unknown, or what the last failed exchange said */
  note?: string;
}

export interface RunSummary {
  schemaVersion: number;
  runId: string;
  status: RunStatus;
  /** `addAudioDelayMs` and `burnCpuMsPerFrame` only when that calibration was on */
  scenario: {
    name: string;
    file: string;
    durationMs: number;
    rooms: number;
    target: string;
    addDelayMs: number;
    addAudioDelayMs?: number;
    burnCpuMsPerFrame?: number;
  };
  environment: {
    glassbenchVersion: string;
    /** the commit it was built from (`glassbench --version`), "unknown" when the build could not tell */
    glassbenchCommit: string;
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    /** kept for older readers: `clock.offsetMs` and `clock.uncertaintyMs` (null: unknown) */
    clockOffsetMs: number;
    clockUncertaintyMs: number | null;
  };
  /** this run's (shard's) clock offset to the SFU's host, and the stage metrics its uncertainty makes doubtful */
  clock?: ClockSummary;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** a load generator (or the machine) crossed a saturation line: the numbers measure the harness, not the system */
  saturated: boolean;
  /** why the run is (or is not) saturated: the lines, and each crossing over the measured window */
  saturation?: SaturationSummary;
  /** the system under test could not keep up (the reference SFU, its AI workers): the run is valid; this names it */
  bottleneck?: Bottleneck;
  /**
   * the measured window, ms after the run started: from the collector's `measureFromMs` (the hold began and every
   * subscription had joined) to when the publishers' timetables ended. Frames (sent and skipped) count in the
   * metrics when their capture time is in it, so `frames_sent + frames_skipped` is within one frame per publisher
   * of fps x `durationMs` / 1000. Absent when the run never reached its hold.
   */
  window?: MeasuredWindow;
  /** every expected (frame, receiver) pair is exactly one of received, late or lost */
  accounting?: FrameAccounting;
  /** how receivers named their frames (extension, payload, marker, rtp-timestamp, rtp-offset), per subscription */
  identity?: IdentitySummary;
  processes: Record<string, ProcessUsage>;
  peers: {
    planned: number;
    connected: number;
    failed: { peer: string; message: string; atMs: number }[];
    /** errors peers survived, grouped by reason (the message without its peer-specific numbers) */
    errors?: { count: number; reasons: { reason: string; count: number; peers: string[] }[] };
  };
  metrics: Record<string, TrendSummary | CounterSummary | RateSummary>;
  /** the series of each threshold key with tag filters (k6's sub-metrics), keyed as `thresholds` are */
  submetrics?: Record<string, TrendSummary | CounterSummary | RateSummary>;
  thresholds: Record<string, ThresholdResult[]>;
  /** unknowns the reader should know about (e.g. stage times an external SFU cannot give) */
  notes: string[];
  /** utterances the publishers played into their audio tracks (start and end of each in the file) */
  utterances?: { count: number; file: string };
  /** the reference SFU's own view: time to hand one incoming packet to every subscriber, ms */
  /** the reference SFU: per-packet fan-out time, and each second of the run (ms since the run started) of each of
   * its processes with its CPU (percent of a core) and event-loop delay p99 */
  sfu?: {
    forwardMs: TrendSummary | null;
    /** `worker`: the worker process the second is of (absent: a one-process SFU, or a multi-worker one's front) */
    seconds?: { tMs: number; cpuPct: number; loopDelayP99Ms: number; worker?: number }[];
  };
  /** the AI hook: how it was set up, each device's mean utilisation over the measured window, SFU events */
  ai?: AiSummary;
  /** the load shape: executor, its stages with the latency measured in each, and active peers over time */
  load?: LoadSummary;
  /** network impairment: the engine, each link's profile and what it dropped */
  network?: {
    engine: string;
    links: {
      netns: string;
      peerAddress: string;
      groups: string[];
      uplink: Record<string, number>;
      downlink: Record<string, number>;
      counts?: { uplink: { packets: number; dropped: number }; downlink: { packets: number; dropped: number } };
    }[];
    changes: { link: number; atMs: number; uplink: Record<string, number>; downlink: Record<string, number> }[];
  };
  /** failures during the run (a peer runner, a browser or the SFU died): when, what, which peers, what it cost */
  faults?: { atMs: number; what: string; peers: string[]; fatal: boolean; cost: string }[];
  /** a merged sharded run (`report --influx --testid`): each shard's frame points and counters */
  shards?: {
    shard: string;
    frames: number;
    /**
     * false: the shard wrote frame points but no summary (it was killed, or its machine went away, before the
     * end): its frames are in the merged latencies and counted in `frames_received`; its other counters are
     * unknown, so the merged run is marked partial (`error.code` SHARD_LOST)
     */
    complete: boolean;
    metrics: Record<string, number>;
    saturated?: boolean;
    /** the shard's own clock offset and uncertainty (its `clock` point) */
    clock?: ClockSummary;
  }[];
  /** this run is shard `index` of `count` (`--shard`): only its rooms */
  shard?: { index: number; count: number };
  /** `--start-at`: the instant the hold was to start at, and how the wait for it went */
  startAt?: StartAtSummary;
  /** `glassbench capacity`: the load steps, each one's p95 latency and CPU, and the knee */
  capacity?: CapacitySummary;
  /** the translation chain: each utterance the SFU heard, what it recognised and translated, and the times */
  speech?: {
    publisher: string;
    n: number;
    utterance?: string;
    text?: string;
    recognised: string;
    translation: string;
    werPct?: number;
    asrMs?: number;
    mtMs?: number;
    ttsTtfbMs?: number;
    /** receivers that got this utterance's subtitle (option A) */
    subtitlesReceived: number;
    /** translated speech (option B): receivers that heard the translation start */
    speechHeard?: number;
    error?: string;
  }[];
  influx?: { target: string; pointsWritten: number; pointsPending: number; pendingFile?: string; warnings: string[] };
  error?: RunError;
  /**
   * a scenario with variants: each variant's rounds (each a complete run in `variants/<name>-r<k>/`) and its
   * metrics over all its rounds (latencies from the frames, counters summed); the top-level `metrics` are then
   * empty and `thresholds` are keyed `<variant>: <key>`, one result per round
   */
  variants?: VariantSummary[];
}

/** `--start-at` (src/orchestrator/start-barrier.ts). */
export interface StartAtSummary {
  /** the flag as given */
  requested: string;
  /** the instant, ISO 8601 UTC, and in ms since the Unix epoch */
  atIso: string;
  atMs: number;
  /** how long the run waited after its warm-up, ms */
  waitedMs: number;
  /** how far past the instant the hold started (the timer's wake-up), or, when missed, the warm-up ended, ms */
  lateMs: number;
  /** the warm-up ended after the instant: the run failed before measuring */
  missed: boolean;
}

export interface VariantSummary {
  name: string;
  status: RunStatus;
  placement: string;
  rounds: { dir: string; status: RunStatus; startedAt: string; durationMs: number }[];
  metrics: Record<string, TrendSummary | CounterSummary | RateSummary>;
  /** its tagged thresholds' series, from the round that decided each one's verdict (the first failing, else the last) */
  submetrics?: Record<string, TrendSummary | CounterSummary | RateSummary>;
  /** mean CPU of each process kind over the variant's rounds (sfu, harness, runners, browsers), percent of a core */
  cpuPctMean: Record<string, number>;
  saturated: boolean;
  notes: string[];
}

/**
 * processes of a run by kind: `sfu` (with `workers` > 1 the HTTP front, and `sfu-w<index>` each worker), `harness`,
 * and numbered `runner-<n>` and `browser-<n>`
 */
export const PROCESS_KINDS = ['sfu', 'browser', 'runner', 'harness'] as const;

/**
 * Mean CPU (percent of a core) of each process kind over one or more runs' processes, to 0.1: the mean process of
 * the kind. A multi-worker SFU's is its workers' (its HTTP front reads no media), as a runner's is per runner.
 */
export function meanCpuByKind(runs: Record<string, ProcessUsage>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of PROCESS_KINDS) {
    const values = runs.flatMap((processes) => {
      const names = Object.keys(processes).filter((k) => k === kind || k.startsWith(`${kind}-`));
      const workers = kind === 'sfu' ? names.filter((k) => k.startsWith('sfu-w')) : [];
      return (workers.length > 0 ? workers : names).map((k) => processes[k]?.cpuPctMean ?? 0);
    });
    if (values.length > 0) out[kind] = Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10;
  }
  return out;
}

/**
 * The summary.processes name of an SFU process from its telemetry's `worker`: `sfu` (a one-process SFU, or the
 * HTTP front of a multi-worker one), `sfu-w<index>` (a worker).
 */
export function sfuProcessName(worker: number | undefined): string {
  return worker === undefined ? 'sfu' : `sfu-w${worker}`;
}

/** Who a bottleneck names, for a person: the reference SFU, one of its workers, or its AI workers. */
export function bottleneckWho(process: string): string {
  if (process === 'sfu') return 'the reference SFU';
  if (process.startsWith('sfu-w')) return `the reference SFU's worker ${process}`;
  return "the SFU's AI workers";
}

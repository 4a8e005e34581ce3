/**
 * What the parts of a run share: the scenario and its plan, the metric series, the collector, the peer
 * tracker, the fault log, the SFU's telemetry, the sinks, and the clock marks of the lifecycle. The lifecycle
 * (runner.ts) owns it; the other parts read it and record into it.
 */
import type { AvSyncJoin } from '../metrics/av-sync.js';
import type { FrameCollector, PeerInfo } from '../metrics/collector.js';
import type { Trend } from '../metrics/histogram.js';
import type { ProcessUsageTracker } from '../metrics/saturation.js';
import type { MetricSeries } from '../metrics/series.js';
import type { NetworkLab } from '../network/links.js';
import type { PeerNetwork } from '../protocol/peer-network.js';
import type {
  AiResultRecord,
  SpeechOnsetRecord,
  StreamSourceSpec,
  SubscriptionWindow,
  UtteranceRecord,
} from '../protocol/runner-ipc.js';
import type { Scenario } from '../scenario/types.js';
import type { SinkFanOut } from '../sinks/fan-out.js';
import type { ClockSync } from './clock-sync.js';
import type { FaultLog } from './fault-log.js';
import type { PeerTracker } from './peer-tracker.js';
import type { PlannedPeer } from './plan.js';
import type { RunnerHandle } from './runner-pool.js';
import type { SfuProcess } from './sfu-process.js';
import type { SfuTelemetry } from './sfu-telemetry.js';
import type { RunEvent, RunOptions } from './types.js';

/** How a peer's connect ended. */
export type PeerOutcome =
  { ok: true; streamId?: string; windows?: SubscriptionWindow[]; leaveNow?: boolean } | { ok: false; message: string };

/** A stream subscribers of a room can join (a WHEP endpoint, or a Janus feed). */
export type StreamSource = StreamSourceSpec;

export interface RunContext {
  readonly options: RunOptions;
  readonly scenario: Scenario;
  readonly emit: (event: RunEvent) => void;
  readonly series: MetricSeries;
  readonly usage: ProcessUsageTracker;
  readonly collector: FrameCollector;
  /** marker bursts heard by receivers, paired with their video frames (av_sync_ms) */
  readonly avSync: AvSyncJoin;
  /** this run's (shard's) peers */
  readonly plan: PlannedPeer[];
  /** every subscriber place of the whole run (all shards), in the order a ramp fills them */
  readonly subscriberSlots: PlannedPeer[];
  readonly peerInfo: Map<string, PeerInfo>;
  readonly peers: PeerTracker;
  readonly faults: FaultLog;
  readonly telemetry: SfuTelemetry;
  /** frames.ndjson.gz and InfluxDB */
  readonly sinks: SinkFanOut;
  /** each room's published streams, for subscribers that join */
  readonly streams: Map<string, StreamSource[]>;
  /** what peers reported for the speech join after the run */
  readonly speech: {
    utterances: UtteranceRecord[];
    subtitles: AiResultRecord[];
    onsets: SpeechOnsetRecord[];
    /** the SFU's stream id -> the publisher's peer id */
    publisherByStream: Map<string, string>;
  };
  /** frames received since the last progress line, and their latency */
  readonly recent: { frames: number; latency: Trend };
  /** since when (nowMs()) no frame has reached any receiver while frames were due (an outage), if one is on */
  outageSinceMs: number | undefined;
  /** what the person reading the summary should know */
  readonly notes: string[];
  /** when the run started (nowMs()), ms */
  readonly startedMs: number;
  /** when the hold started, ms; 0 before it */
  holdStartMs: number;
  /** when the publishers' timetables ended, ms; 0 before the drain */
  sendingStoppedMs: number;
  sfu: SfuProcess | undefined;
  /** this shard's clock offset to the SFU's host (set at preflight) */
  clock: ClockSync | undefined;
  network: NetworkLab | undefined;
  /** what every peer's start command carries: bind address, ICE servers, CA (peer-network.ts); loopback until set */
  peerNetwork: PeerNetwork;
  runners: RunnerHandle[];
  /** the run closes its runners and SFU: their exits are expected */
  closing: boolean;
  /** the connections being set up now, each ended by calling its function (a signal does: peer-connections.ts) */
  connecting: Set<() => void>;
}

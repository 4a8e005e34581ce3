/**
 * The scenario contract: what a validated scenario file turns into, every default filled in.
 * Units are in every numeric field name.
 */
import type { ThresholdSpec } from '../budgets/types.js';
import type { AiOptions } from '../protocol/ai.js';
import type { IceServerConfig } from '../protocol/peer-network.js';
import type { VideoOptions } from '../protocol/video.js';

export type PeerRole = 'publisher' | 'subscriber';
export type PeerKind = 'synthetic' | 'browser';

/** One direction of an impaired link (netem's terms). */
export interface LinkImpairment {
  delayMs: number;
  /** uniform in +/- jitterMs around delayMs */
  jitterMs: number;
  lossPct: number;
  /** bursty loss: mean length of a loss burst in packets (Gilbert-Elliott); 0 = independent losses */
  burstLossPackets: number;
  /** 0 = unlimited */
  rateKbps: number;
}

/**
 * Impairment of the link between a group of peers and the SFU (docs/scenarios.md): uplink is what the peers
 * send, downlink what they receive. `schedule` changes it during the run (times from the start of the hold).
 */
export interface NetworkProfile {
  uplink: LinkImpairment;
  downlink: LinkImpairment;
  schedule: { atMs: number; uplink: LinkImpairment; downlink: LinkImpairment }[];
}

/**
 * How load is applied (k6's executor names where they fit):
 * - `constant-peers`: every planned peer joins before the hold and stays;
 * - `ramping-peers`: publishers of every room join first; the number of subscribers follows the load `steps`
 *   (the scenario file's `stages` key; linear from one target to the next), filling rooms one after another per the
 * topology (the subscriber
 *   groups' counts are the places per room); the latest to join leaves first;
 * - `arrival-rate`: calls (a room with the topology's publishers and subscribers) start at `ratePerSecond`
 *   during the hold and last `callDurationMs`; a call that would exceed `maxCalls` at once is not started and is
 *   counted in `calls_dropped`.
 */
/**
 * One load step of a ramp (an entry of the scenario file's `executor.stages`): reach `target` subscribers over
 * `durationMs`.
 */
export interface RampStep {
  durationMs: number;
  target: number;
}

export type Executor =
  | { type: 'constant-peers' }
  | { type: 'ramping-peers'; startTarget: number; steps: RampStep[] }
  | { type: 'arrival-rate'; ratePerSecond: number; callDurationMs: number; maxCalls: number };

export interface PeerGroup {
  role: PeerRole;
  kind: PeerKind;
  /** peers of this group in every room */
  count: number;
  /** video a publisher sends; defaults above (subscribers ignore it) */
  video: VideoOptions;
  /** browser publishers: a spoken-audio track of known utterances, one every `intervalMs` (default 4000) */
  audio?: { intervalMs: number };
  /** publishers (`audio: { sync: true }`): an audio track with the A/V sync marker (src/media/av-marker.ts) */
  avSync?: true;
  /** this group's own link impairment (overrides the scenario's `network`) */
  network?: NetworkProfile;
  /** synthetic subscribers: decode every frame, score every `sampleEvery`th (video_psnr_db, video_ssim); default off */
  quality?: { sampleEvery: number };
}

/** Where peers publish and subscribe. `{room}` in a URL is replaced by the room id. */
export type Target =
  | { type: 'reference' }
  | ({
      type: 'external';
      whipUrl: string;
      whepUrl: string;
      token?: string;
      /**
       * where a remote reference SFU serves `/telemetry` and `/clock` (its base URL); false: read none. Default
       * (absent): the WHIP URL's origin, if its `/clock` answers like a glassbench SFU's
       */
      telemetry?: string | false;
    } & TargetNetwork)
  | JanusTarget;

/**
 * A Janus VideoRoom (docs/janus.md): the scenario's rooms r1..rN are Janus rooms `room`, `room + 1`, ...
 * `room + N - 1`, created when missing unless `createRooms` is false.
 */
export interface JanusTarget {
  type: 'janus';
  /** the Janus HTTP API, e.g. http://host:8088/janus */
  url: string;
  /** the Janus room number of the scenario's first room */
  room: number;
  /** sent as the Janus API's `token` in every request (Janus token auth); default none */
  token?: string;
  /** create a missing room (VideoRoom `create`, not permanent); default true */
  createRooms: boolean;
}

/** How peers reach an external target (docs/networks.md); every field optional. */
export interface TargetNetwork {
  /** absolute path of a PEM file: a private CA that https signaling trusts besides Node's roots */
  ca?: string;
  /** STUN/TURN servers of the peers' connections (werift uses the first STUN and the first TURN URL); default none */
  iceServers?: IceServerConfig[];
  /** `relay`: TURN-relayed candidates only; default `all` */
  iceTransportPolicy?: 'all' | 'relay';
}

/**
 * How the scenario sets up the SFU under test: the reference SFU's calibration knobs and worker processes (its
 * server-side options are `SfuOptions`).
 */
export interface SfuTarget {
  /** the reference SFU holds every forwarded frame this long, ms (calibration); default 0 */
  addDelayMs: number;
  /** the reference SFU holds every forwarded audio packet this much longer, ms (calibration of A/V sync); absent = 0 */
  addAudioDelayMs?: number;
  /** the reference SFU spends this much CPU on its event loop for every incoming video frame once a subscriber of
   * its publisher is connected, ms (calibration: an SFU that cannot keep up); default 0 */
  burnCpuMsPerFrame: number;
  /**
   * the reference SFU behaves like an SFU that rewrites RTP (calibration of frame identity): forwarded video loses
   * the glassbench header extensions, and its sequence numbers and timestamps are shifted by a random offset per
   * subscriber; absent = off
   */
  rewriteRtp?: true;
  /**
   * worker processes of the reference SFU (docs/reference-server.md): each owns the sessions of the rooms placed
   * on it; default this machine's cores (at least 1), but 1 with a cloud AI hook (its scheduler is one pool per
   * process) and for any other target
   */
  workers: number;
  /** subscribers one worker takes of a room before the room spreads to another worker; default 100 */
  subscribersPerWorker: number;
}

export interface BrowserOptions {
  /** connect to a running browser (e.g. a grid) instead of launching Chromium; default: launch one per runner */
  wsEndpoint?: string;
}

export interface Scenario {
  name: string;
  /** measured (hold) time once every peer is connected and the warm-up has passed, ms */
  durationMs: number;
  /**
   * time after every peer has connected that is run but not measured (encoders and jitter buffers settle), ms; default
   * 0
   */
  warmupMs: number;
  target: Target;
  /**
   * the local IPv4 address peers bind to (`0.0.0.0`: every interface); default loopback for the reference SFU or a
   * loopback target, else the address of this machine's route to the target (docs/networks.md)
   */
  bindAddress?: string;
  /** room ids r1..rN */
  rooms: number;
  peers: PeerGroup[];
  sfu: SfuTarget;
  browser: BrowserOptions;
  /** peer runner processes; default: one per 100 peers, at least 1 */
  runners: number;
  /** how long a peer may take to connect, ms; default 15000 */
  connectTimeoutMs: number;
  /** a connected peer that receives nothing from the target this long has lost its connection, ms; default 10000 */
  silenceTimeoutMs: number;
  thresholds: ThresholdSpec[];
  /** load shape; default constant-peers */
  executor: Executor;
  /** link impairment for every peer group without its own */
  network?: NetworkProfile;
  /**
   * a time host beside an SFU that serves no `/clock` of its own (`glassbench clock` on the SFU's machine): the
   * base URL the shard's clock offset is estimated against; default: the SFU's own `/clock`
   */
  clock?: { hostUrl: string };
  /** the AI hook (docs/architecture.md); `placement: none` when the scenario has no `ai` block */
  ai: AiOptions;
  /**
   * variants: the scenario runs once per variant (and round) under one run id, each with its own `ai` and
   * `sfu` settings; `interleaved` alternates them round by round (drift cancels), `sequential` runs every
   * round of one before the next
   */
  variants?: Variant[];
  rounds?: number;
  order?: 'sequential' | 'interleaved';
  /** the file it came from (for messages and reports) */
  sourcePath: string;
  /** `report:`: `summaryExport` is where to write k6's summary data (absolute: relative to the scenario file) */
  report?: { summaryExport?: string };
}

export interface Variant {
  name: string;
  ai: AiOptions;
  sfu: SfuTarget;
}

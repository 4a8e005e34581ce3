/**
 * Runner IPC: what crosses the process boundary between the harness and its peer-runner child processes
 * (the commands it sends, the events and records a runner sends back, and the peer specs in them). Plain
 * JSON, so every type here is data. The peers' own contract (Publisher, Subscriber) is src/peers/types.ts.
 */
import type { AiFrameRecord, AiStageSpec, LumaFilter } from './ai.js';
import type { IdentityMethod } from './frame-key.js';
import type { PeerNetwork } from './peer-network.js';
import type { PatternKind, VideoOptions } from './video.js';

export interface PageStatsSample {
  ms: number;
  jitterMs?: number;
  packetLossPct?: number;
  bitrateKbps?: number;
  jitterBufferDelayMs?: number;
  decodeMs?: number;
  fps?: number;
  nackCount?: number;
  pliCount?: number;
  /** inbound audio packets so far (the spoken-audio track, when the publisher sends one) */
  audioPacketsReceived?: number;
}

/** A frame a publisher handed to RTP. */
export interface SentFrameRecord {
  /** frame key `tag:seq` */
  f: string;
  peer: string;
  captureMs: number;
  sentMs: number;
  bytes: number;
  keyframe: boolean;
  /** browser publishers: the RTP timestamp the frame was sent with (receivers without a marker join by it) */
  rtpTs?: number;
}

/**
 * A frame due on a publisher's timetable that was not sent: the publisher was late by more than a frame
 * (`late`), its encoder was busy (`encoder-busy`), or its encoder dropped a frame drawn into its source
 * (`encoder-dropped`: a browser's, or an encoded source's libvpx), or the publisher left the run with the frame
 * still in its encoder (`closed`). `captureMs` is when it was due (its scheduled
 * capture time). A skipped slot consumes its frame number (timetable.ts), so frame numbers have gaps.
 */
export interface SkippedFrameRecord {
  peer: string;
  publisherTag: number;
  captureMs: number;
  reason: 'late' | 'encoder-busy' | 'encoder-dropped' | 'closed';
}

/** An AI result (tap mode) a subscriber got over the SFU's DataChannel for frame `f`. */
export interface AiResultRecord {
  f: string;
  peer: string;
  sub: string;
  receivedMs: number;
}

/**
 * A receiver heard speech start in the audio it received (translated speech, option B): the level of its
 * decoded audio rose above the onset threshold after silence (src/media/audio-onset.ts).
 */
export interface SpeechOnsetRecord {
  peer: string;
  sub: string;
  /** synthetic receivers: the packet arrived; browsers: the decoded audio reached the page */
  ms: number;
  levelDbfs: number;
}

/**
 * A receiver found an A/V sync marker burst in the audio it received (src/media/av-marker.ts): synthetic receivers
 * at the packet's arrival plus the onset's offset in it; browsers when the decoded audio reached the page plus the
 * offset. The harness joins it with the receipt of the video frame the marker belongs to (`av_sync_ms`).
 */
export interface AvMarkerRecord {
  peer: string;
  sub: string;
  ms: number;
  /** the marker's number modulo AV_MARKER_IDS, from its tone; absent when none stood out */
  id?: number;
}

/** An utterance a publisher played into its audio track, with when it started and ended. */
export interface UtteranceRecord {
  peer: string;
  id: string;
  text: string;
  startMs: number;
  endMs: number;
}

/** A frame a subscriber completed. `f` is absent when its identity was lost. */
export interface ReceivedFrameRecord {
  f?: string;
  /**
   * how `f` was read at the receiver (`extension`, `payload`, `marker`); the harness sets `rtp-timestamp` or
   * `rtp-offset` when it names a receipt that came without `f`
   */
  identity?: IdentityMethod;
  peer: string;
  /** the SFU's session id of this subscription */
  sub: string;
  /** frame complete at the receiver; browsers: the encoded frame's receive time, when Chromium gives it */
  receivedMs?: number;
  firstPacketMs?: number;
  /** browsers: the decoded frame was readable in the page (the glass) */
  renderedMs?: number;
  /**
   * the frame's RTP timestamp, to join streams without a frame-id extension: SFU stage times, and (receipts
   * without `f`) the publisher's record of which frame went out with it
   */
  rtpTs?: number;
  /** browsers: time spent reading the pixel marker of this frame, ms */
  markerReadMs?: number;
  /** luma PSNR (dB) and SSIM against the regenerated original (picture-quality.ts); browsers: page time of both, ms */
  psnrDb?: number;
  ssim?: number;
  qualityMs?: number;
  /** capture time read from abs-capture-time on the receiver */
  captureMs?: number;
  bytes: number;
  /**
   * synthetic receivers: the VP8 frame's size without RTP payload descriptors, as the publisher's sent record
   * counts it (learning an SFU's RTP timestamp offset matches sizes)
   */
  frameBytes?: number;
  keyframe: boolean;
  /** browsers: complete at the receiver (`receivedMs`), but the page's track reader never got the decoded frame */
  discarded?: true;
  /** set by the harness (src/metrics/freezes.ts): the gap before this frame at its receiver was a freeze this long */
  freezeMs?: number;
}

/**
 * One second of a browser receiver's WebRTC stats, as the page samples them, except that the counters are
 * increments since the previous sample (the page reports totals).
 */
export type StatsSample = PageStatsSample & {
  nackCount: number;
  pliCount: number;
  audioPacketsReceived: number;
};

/** When a subscription could receive frames: from connected to closing. */
export interface SubscriptionWindow {
  peer: string;
  sub: string;
  publisherTag: number;
  /** the subscribe request was sent (the WHEP POST of the offer; Janus: the join), for time_to_first_frame_ms */
  requestMs?: number;
  startMs: number;
  endMs?: number;
  /** the first audio packet arrived (synthetic receivers) or reached the page (browsers) */
  firstAudioMs?: number;
}

/** A connection that stopped hearing from the target (peers/liveness.ts). */
export interface LostConnection {
  message: string;
  /** nothing arrived on it after this (harness clock; within the watch's second of the last arrival) */
  lastHeardMs: number;
  /** a subscriber's connection: the stream it received */
  publisherTag?: number;
}

export interface PublisherSpec {
  peerId: string;
  kind: 'synthetic' | 'browser';
  /** browser peers: connect to this browser instead of launching one */
  browserWSEndpoint?: string;
  room: string;
  endpointUrl: string;
  token?: string;
  /** a Janus VideoRoom target: `endpointUrl` is the Janus HTTP API, the peer joins room `room` as a publisher */
  janus?: JanusPublish;
  /** bind address, ICE servers and policy, CA for https signaling; default loopback, none */
  network?: PeerNetwork;
  /** once connected, a connection that hears nothing from the target this long is reported lost, ms; none: not watched */
  silenceTimeoutMs?: number;
  publisherTag: number;
  video: VideoOptions;
  /** browser publishers: send the spoken-audio track */
  audio?: { intervalMs: number };
  /** send the A/V sync marker on an audio track (src/media/av-marker.ts) */
  avSync?: boolean;
  /** browser publishers: report the RTP timestamp of every frame (plan.ts `identifyRtp`) */
  identifyRtp?: boolean;
  /** edge placement: the page runs these stages on every frame before the encoder */
  edgeAi?: { stages: AiStageSpec[] };
}

/** Janus VideoRoom publishing: the room the publisher joins, and whether it creates the room when missing. */
export interface JanusPublish {
  room: number;
  createRoom: boolean;
}

/** One stream a subscriber receives: a WHEP endpoint, or (Janus) the API URL and the publisher's feed. */
export interface StreamSourceSpec {
  endpointUrl: string;
  publisherTag: number;
  /** a Janus VideoRoom feed: Janus makes the offer and the subscriber answers (the "server offers" flow) */
  janus?: { room: number; feed: number };
  /** the source paints glassbench's pattern (i420-painter.ts) at this size: its frames can be scored */
  picture?: { width: number; height: number; pattern: PatternKind };
}

/** Picture quality at a subscriber (picture-quality.ts): what its frames are compared with, and how often. */
export interface SubscriberQuality {
  /** the room's AI filter, applied to the regenerated original (luma-filter.ts referenceFilter); `copy`: none */
  filter: LumaFilter;
  /**
   * score every Nth frame (scenario `quality.sampleEvery`): synthetic subscribers decode every frame for it, and
   * without it score none; browser subscribers read every frame anyway, and without it score every one
   */
  sampleEvery?: number;
}

export interface SubscriberSpec {
  peerId: string;
  kind: 'synthetic' | 'browser';
  /** browser peers: connect to this browser instead of launching one */
  browserWSEndpoint?: string;
  room: string;
  /** one WHEP endpoint per publisher of the room (a Janus target: the Janus API, with the feed in `janus`) */
  sources: StreamSourceSpec[];
  /** once connected, a connection that hears nothing from the target this long is reported lost, ms; none: not watched */
  silenceTimeoutMs?: number;
  token?: string;
  /** bind address, ICE servers and policy, CA for https signaling; default loopback, none */
  network?: PeerNetwork;
  /** open the `glassbench-ai` DataChannel and report the AI results (tap mode) it brings */
  aiResults?: boolean;
  /** receive the audio too and report where speech starts in it (translated speech, option B) */
  speechOnsets?: boolean;
  /** receive the audio too and report the A/V sync markers found in it */
  avSync?: boolean;
  /** score pictures (browsers: every frame read, or every `sampleEvery`th; synthetic: a sample, when it is set) */
  quality?: SubscriberQuality;
}

/** Harness -> runner. */
export type RunnerCommand =
  | { type: 'start-publisher'; spec: PublisherSpec; connectTimeoutMs: number }
  | { type: 'start-subscriber'; spec: SubscriberSpec; connectTimeoutMs: number }
  | { type: 'stop-peer'; peerId: string }
  /** publishers end their timetables at `atMs` (harness clock; default: when the command arrives) */
  | { type: 'stop-sending'; atMs?: number }
  | { type: 'close' };

/** Runner -> harness. */
export type RunnerEvent =
  | { type: 'ready' }
  | { type: 'publisher-ready'; peerId: string; streamId: string }
  | { type: 'subscriber-ready'; peerId: string; windows: SubscriptionWindow[] }
  | { type: 'peer-failed'; peerId: string; message: string }
  /** a peer hit an error it survived (a stats read failed, a page threw): counted in summary.peers.errors */
  | { type: 'peer-error'; peerId: string; message: string }
  | { type: 'peer-left'; peerId: string; windows: SubscriptionWindow[] }
  /** a connected peer's connection went silent or failed (peers/liveness.ts): the harness judges it */
  | ({ type: 'connection-lost'; peerId: string } & LostConnection)
  /**
   * the runner got a signal (SIGTERM) while its harness is there: a signal to the process group reaches the
   * harness too, which drains and closes it; the runner stops by itself after `stopsInMs` if that does not come
   */
  | { type: 'signalled'; signal: string; stopsInMs: number }
  | {
      type: 'records';
      sent: SentFrameRecord[];
      /** frames due on a publisher's timetable and not sent */
      skipped: SkippedFrameRecord[];
      received: ReceivedFrameRecord[];
      utterances: UtteranceRecord[];
      aiResults: AiResultRecord[];
      onsets: SpeechOnsetRecord[];
      /** A/V sync markers heard by receivers */
      avMarkers?: AvMarkerRecord[];
      /** edge placement: what each publisher page's AI did with its frames */
      edgeAi: AiFrameRecord[];
    }
  | {
      type: 'resources';
      ms: number;
      cpuPct: number;
      rssMb: number;
      /** the runner's own event-loop delay over the second (ResourceSampler), p99 and max, ms */
      loopDelayP99Ms: number;
      loopDelayMaxMs: number;
      /** the runner's busiest thread (event loop or an encoder), % of one core: what its CPU line is judged on */
      busiestThreadCpuPct?: number;
      /** the runner's Chromium, all its processes together */
      browserCpuPct?: number;
      /** its busiest single process */
      browserMaxProcessCpuPct?: number;
      browserRssMb?: number;
      /** its pages' main-thread lag probes: the worst page's p99 (and max) of the last second, ms */
      browserLoopDelayP99Ms?: number;
      browserLoopDelayMaxMs?: number;
    }
  | { type: 'stats'; peer: string; sample: StatsSample }
  | { type: 'closed'; windows: SubscriptionWindow[] };

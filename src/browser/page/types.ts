/** What the page hands back to Node (polled with `glassbench.take()`); plain JSON. */
import type { AiStageSpec, LumaFilter } from '../../protocol/ai.js';
import type { PageStatsSample } from '../../protocol/runner-ipc.js';
import type { PatternKind } from '../../protocol/video.js';

export interface PageSentFrame {
  f: string;
  captureMs: number;
  /** the encoder handed the frame to RTP (capture time where the page could not tell) */
  sentMs: number;
  /** the RTP timestamp it was sent with, when known */
  rtpTs?: number;
  bytes?: number;
  keyframe?: boolean;
}

/** A slot of the publisher's timetable that never went out (protocol/runner-ipc.ts SkippedFrameRecord). */
export interface PageSkippedFrame {
  /** the slot's scheduled capture time */
  captureMs: number;
  /** `late`: the page drew it more than an interval late, so skipped it; `encoder-dropped`: drawn, never encoded */
  reason: 'late' | 'encoder-dropped';
}

export interface PageReceivedFrame {
  /** absent when the marker could not be read (identity lost) */
  f?: string;
  rtpTs?: number;
  /** frame complete at the receiver (encoded-frame receive time), when known */
  receivedMs?: number;
  /** decoded frame readable in the page: the glass; absent for a frame the reader never got */
  renderedMs?: number;
  captureMs?: number;
  /** time the page spent reading this frame's marker (draw the strip, read pixels, decode), ms */
  markerReadMs?: number;
  /** luma PSNR (dB) and SSIM against the regenerated original, and the page time they took, ms (frame-quality.ts) */
  psnrDb?: number;
  ssim?: number;
  qualityMs?: number;
  /** complete at the receiver (`receivedMs`, `rtpTs`), but a newer frame reached the reader first: never read */
  discarded?: true;
}

/** One utterance played into the publisher's audio track, with its wall-clock start and end. */
export interface PageUtterance {
  id: string;
  startMs: number;
  endMs: number;
}

/** An AI result (tap mode) that came over the `glassbench-ai` DataChannel for frame `f`. */
export interface PageAiResult {
  f: string;
  receivedMs: number;
}

/** Speech started in the received audio (translated speech): when the decoded audio reached the page. */
export interface PageSpeechOnset {
  ms: number;
  levelDbfs: number;
}

/** An A/V sync marker burst found in the received audio: its onset at receipt (the audio frame's receive time plus
 * the onset sample's offset in it), and its tone's id. */
export interface PageAvMarker {
  ms: number;
  id?: number;
}

/** Edge placement: what the page's AI did with one frame (the cloud hook's record, made in the page). */
export interface PageEdgeAi {
  f: string;
  /** the frame was drawn */
  readyMs: number;
  outcome: 'done' | 'dropped' | 'failed';
  queueMs?: number;
  stages?: Record<string, number>;
  hookMs?: number;
  reason?: string;
}

/** One second of the page's main-thread lag probe (lag-probe.ts): how late its timer fired, p99 and max, ms. */
export interface PageLagSample {
  ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface PageRecords {
  aiResults: PageAiResult[];
  edgeAi: PageEdgeAi[];
  onsets: PageSpeechOnset[];
  avMarkers: PageAvMarker[];
  /** when the first encoded audio frame reached the page (at most one entry) */
  firstAudio: number[];
  utterances: PageUtterance[];
  sent: PageSentFrame[];
  skipped: PageSkippedFrame[];
  received: PageReceivedFrame[];
  stats: PageStatsSample[];
  lag: PageLagSample[];
  errors: string[];
  /** the page's RTCPeerConnection's connectionState when the records were taken */
  connectionState?: string;
  /** what its selected candidate pair has received (bytes, ICE checks, their answers), sampled at: heard.ts */
  heard?: { count: number; atMs: number };
}

/**
 * The RTCConfiguration fields a page takes from the run (docs/networks.md): the scenario's STUN/TURN servers and
 * policy. Default none and `all`: a page never asks a public STUN server.
 */
export interface PageIceConfig {
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
  iceTransportPolicy: 'all' | 'relay';
}

/** Picture quality at a subscriber page (frame-quality.ts): the source's size and the AI filter of the reference. */
export interface PageQualityOptions {
  width: number;
  height: number;
  /** the picture the source paints */
  pattern: PatternKind;
  /** what the regenerated original goes through (the room's AI filter); `copy`: nothing */
  filter: LumaFilter;
  /** score every Nth frame read with a marker (scenario `quality.sampleEvery`); 1: every frame */
  sampleEvery: number;
}

export interface PublisherOptions {
  publisherTag: number;
  /** ICE servers and policy of the page's RTCPeerConnection; default none, `all` */
  ice?: PageIceConfig;
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  /** the pattern's drifting texture (i420-painter.ts `paintLuma`); default a flat background */
  texture?: boolean;
  /** spoken audio: utterances (id and WAV URL on the page's origin) played one every `utteranceIntervalMs` */
  utterances?: { id: string; url: string }[];
  utteranceIntervalMs?: number;
  /** an audio track with the A/V sync marker (marker-audio.ts) */
  avSync?: boolean;
  /**
   * a synthetic receiver or the cloud AI hook is in the room (plan.ts): they join frames by RTP timestamp. The
   * page learns each sent frame's RTP timestamp in every room now (sent-frames.ts), so this no longer changes what it
   * does
   */
  identifyRtp?: boolean;
  /** edge placement: these stages run on every frame before the encoder (edge-ai.ts) */
  edge?: { stages: AiStageSpec[] };
}

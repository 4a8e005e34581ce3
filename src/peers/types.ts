/** Contracts between the harness and its peers (which run in peer-runner child processes). */
import type { VideoOptions } from '../scenario/types.js';

/** A frame a publisher handed to RTP. */
export interface SentFrameRecord {
  /** frame key `tag:seq` */
  f: string;
  peer: string;
  captureMs: number;
  sentMs: number;
  bytes: number;
  keyframe: boolean;
}

/** A frame a subscriber completed. `f` is absent when its identity was lost. */
export interface ReceivedFrameRecord {
  f?: string;
  peer: string;
  /** the SFU's session id of this subscription */
  sub: string;
  receivedMs: number;
  firstPacketMs: number;
  /** capture time read from abs-capture-time on the receiver */
  captureMs?: number;
  bytes: number;
  keyframe: boolean;
}

/** When a subscription could receive frames: from connected to closing. */
export interface SubscriptionWindow {
  peer: string;
  sub: string;
  publisherTag: number;
  startMs: number;
  endMs?: number;
}

export interface PublisherSpec {
  peerId: string;
  room: string;
  endpointUrl: string;
  token?: string;
  publisherTag: number;
  video: VideoOptions;
}

export interface SubscriberSpec {
  peerId: string;
  room: string;
  /** one WHEP endpoint per publisher of the room */
  sources: { endpointUrl: string; publisherTag: number }[];
  token?: string;
}

/** Harness -> runner. */
export type RunnerCommand =
  | { type: 'start-publisher'; spec: PublisherSpec; connectTimeoutMs: number }
  | { type: 'start-subscriber'; spec: SubscriberSpec; connectTimeoutMs: number }
  | { type: 'stop-sending' }
  | { type: 'close' };

/** Runner -> harness. */
export type RunnerEvent =
  | { type: 'ready' }
  | { type: 'publisher-ready'; peerId: string; streamId: string }
  | { type: 'subscriber-ready'; peerId: string; windows: SubscriptionWindow[] }
  | { type: 'peer-failed'; peerId: string; message: string }
  | { type: 'records'; sent: SentFrameRecord[]; received: ReceivedFrameRecord[] }
  | { type: 'resources'; ms: number; cpuPct: number; rssMb: number }
  | { type: 'closed'; windows: SubscriptionWindow[] };

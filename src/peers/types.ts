/**
 * The peer contract: what a peer runner (runner-process.ts) can do with a publisher or a subscriber, whatever
 * kind it is (synthetic werift peers, browser pages). A peer reports what it measures as typed events; the
 * records themselves are runner IPC types (src/protocol/runner-ipc.ts), sent on to the harness as they are.
 */
import type { AiFrameRecord } from '../protocol/ai.js';
import type {
  AiResultRecord,
  AvMarkerRecord,
  LostConnection,
  ReceivedFrameRecord,
  SentFrameRecord,
  SkippedFrameRecord,
  SpeechOnsetRecord,
  StatsSample,
  SubscriptionWindow,
  UtteranceRecord,
} from '../protocol/runner-ipc.js';
import type { Listener } from './events.js';

/** What a publisher reports, by event name. */
export interface PublisherEvents {
  /** a frame it handed to RTP */
  sent: SentFrameRecord;
  /** a frame due on its timetable that it did not send */
  skipped: SkippedFrameRecord;
  /** browser publishers with spoken audio: an utterance played into the audio track */
  utterance: UtteranceRecord;
  /** edge placement: what the page's AI did with one frame */
  edgeAi: AiFrameRecord;
  /** an error it survived (a page threw, the encoder failed a frame): reported, the publisher carries on */
  error: string;
  /** its connection stopped hearing from the target (liveness.ts); it stops sending, once */
  lost: LostConnection;
}

/** What a subscriber reports, by event name. */
export interface SubscriberEvents {
  /** a frame it completed (or, browsers, rendered or passed over) */
  received: ReceivedFrameRecord;
  /** one second of receive stats, counters as increments since the previous sample */
  stats: StatsSample;
  /** tap mode: an AI result that came over the SFU's DataChannel */
  aiResult: AiResultRecord;
  /** translated speech: speech started in the audio it received */
  onset: SpeechOnsetRecord;
  /** A/V sync: a marker burst found in the audio it received */
  avMarker: AvMarkerRecord;
  /** an error it survived (a page threw, a stats read failed): reported, the subscriber carries on */
  error: string;
  /** one of its connections stopped hearing from the target (liveness.ts): once per connection */
  lost: LostConnection;
}

/** One publishing peer: one WHIP session sending video (and, browsers, audio) on an open-loop timetable. */
export interface Publisher {
  /** the SFU's session id of the published stream; empty until `start()` resolves */
  readonly streamId: string;
  on<K extends keyof PublisherEvents>(event: K, listener: Listener<PublisherEvents[K]>): this;
  /** Connects (WHIP) and starts sending; rejects when it cannot connect within `connectTimeoutMs`. */
  start(connectTimeoutMs: number): Promise<void>;
  /** Ends the timetable at `atMs` (harness clock; default now): frames due before it are still sent. */
  stopSending(atMs?: number): void;
  /** Idempotent: stops sending, ends the WHIP session, closes the connection. */
  close(): Promise<void>;
}

/** One subscribing peer: one WHEP session per publisher of its room. */
export interface Subscriber {
  on<K extends keyof SubscriberEvents>(event: K, listener: Listener<SubscriberEvents[K]>): this;
  /** Connects to every source; resolves with the subscriptions' windows (from connected on). */
  start(connectTimeoutMs: number): Promise<SubscriptionWindow[]>;
  /** The windows of the subscriptions connected so far. */
  windows(): SubscriptionWindow[];
  /** Idempotent: marks the end of every window, ends the WHEP sessions; resolves with the windows. */
  close(): Promise<SubscriptionWindow[]>;
}

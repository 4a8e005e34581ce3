/** Contracts of the reference SFU: its options and the per-frame stage records it streams to the harness. */
import type { SpeechRecord, VoiceRecord } from '../ai/speech/chain.js';
import type { AiDeviceRecord, AiFrameRecord, AiOptions } from '../ai/types.js';

export interface SfuOptions {
  /** hold every forwarded packet this long, ms (calibration); default 0 */
  addDelayMs?: number;
  /** spend this much CPU on the event loop for every incoming video frame with a connected subscriber, ms
   * (calibration: an SFU that cannot keep up); default 0 */
  burnCpuMsPerFrame?: number;
  /** when set, WHIP/WHEP and the stage stream require `Authorization: Bearer <token>` */
  token?: string;
  /** largest accepted SDP body, bytes; default 65536 */
  maxBodyBytes?: number;
  /** a session that has not connected by then is closed, ms; default 30000 */
  connectTimeoutMs?: number;
  /** the AI hook on every published video track (placement `cloud`) */
  ai?: AiOptions;
  /** also listen on these addresses (the host ends of a run's links to its network namespaces) */
  alsoListenOn?: string[];
  /** limits (hostile or runaway clients): rooms at once (503 beyond), sessions per room (429 beyond),
   * sessions still negotiating or connecting at once (503 beyond), new sessions per second (429 beyond),
   * and a publisher that sends no media for idleTimeoutMs is closed (its subscribers with it) */
  maxRooms?: number;
  maxSessionsPerRoom?: number;
  maxPendingSessions?: number;
  maxSetupsPerSecond?: number;
  idleTimeoutMs?: number;
}

/**
 * One line of the stage stream (`GET /stage-times`, NDJSON):
 * - `in`: first packet of frame `f` arrived from publisher session `pub`;
 * - `out`: first packet of frame `f` left towards subscriber session `sub`;
 * - `res`: the SFU process's CPU, memory and event-loop delay (p99 and max, ms) over the last second;
 * - `ai`: what the AI hook did with a frame; `dev`: each AI device over the last second;
 * - `speech`: what the translation chain did with an utterance; `voice`: its translated speech began to play;
 * - `event`: something a person should see (the external AI worker went away, came back).
 */
export type StageRecord =
  | { k: 'in'; f: string; pub: string; ms: number }
  | { k: 'out'; f: string; sub: string; ms: number }
  | { k: 'res'; ms: number; cpuPct: number; rssMb: number; loopDelayP99Ms: number; loopDelayMaxMs: number }
  | AiFrameRecord
  | AiDeviceRecord
  | SpeechRecord
  | VoiceRecord
  | { k: 'event'; ms: number; message: string };

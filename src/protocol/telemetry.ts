/**
 * The reference SFU's telemetry: one NDJSON line per record on `GET /telemetry`, read by the harness
 * (src/orchestrator) and written by the server (reference-server/sfu/telemetry.ts). The first line is
 * `{"k":"hello"}`, so a client knows the stream is open before any frame flows.
 */
import type { AiDeviceRecord, AiFrameRecord, SpeechRecord, VoiceRecord } from './ai.js';

/**
 * One line of the telemetry stream:
 * - `in`: first packet of frame `f` arrived from publisher session `pub`;
 * - `out`: first packet of frame `f` left towards subscriber session `sub`;
 * - `res`: the SFU process's CPU, memory and event-loop delay (p99 and max, ms) over the last second;
 * - `ai`: what the AI hook did with a frame; `dev`: each AI device over the last second;
 * - `speech`: what the translation chain did with an utterance; `voice`: its translated speech began to play;
 * - `event`: something a person should see (the external AI worker went away, came back).
 */
export type TelemetryRecord =
  | { k: 'in'; f: string; pub: string; ms: number }
  | { k: 'out'; f: string; sub: string; ms: number }
  | { k: 'res'; ms: number; cpuPct: number; rssMb: number; loopDelayP99Ms: number; loopDelayMaxMs: number }
  | AiFrameRecord
  | AiDeviceRecord
  | SpeechRecord
  | VoiceRecord
  | { k: 'event'; ms: number; message: string };

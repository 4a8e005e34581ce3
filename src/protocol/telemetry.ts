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
 * - `res`: the SFU process's CPU, memory and event-loop delay (p99 and max, ms) over the last second; with
 *   `workers` > 1, one per worker process (`worker`: its index) and one of the HTTP front (no `worker`);
 * - `worker`: a worker process of a multi-worker SFU exited (with the sessions that ended with it) or started;
 * - `ai`: what the AI hook did with a frame; `dev`: each AI device over the last second;
 * - `speech`: what the translation chain did with an utterance; `voice`: its translated speech began to play;
 * - `event`: something a person should see (the external AI worker went away, came back).
 */
export type TelemetryRecord =
  | { k: 'in'; f: string; pub: string; ms: number }
  | { k: 'out'; f: string; sub: string; ms: number }
  | {
      k: 'res';
      ms: number;
      cpuPct: number;
      rssMb: number;
      loopDelayP99Ms: number;
      loopDelayMaxMs: number;
      worker?: number;
    }
  | SfuWorkerRecord
  | AiFrameRecord
  | AiDeviceRecord
  | SpeechRecord
  | VoiceRecord
  | { k: 'event'; ms: number; message: string };

/**
 * A worker process of a multi-worker reference SFU (`workers` > 1) exited or (re)started. On `exited`, `closed`
 * counts what ended with it: its rooms (those whose publishers it held), the publisher and subscriber sessions it
 * held, and the subscribers on other workers that lost their piped publisher.
 */
export interface SfuWorkerRecord {
  k: 'worker';
  ms: number;
  worker: number;
  pid: number;
  state: 'exited' | 'started';
  /** exited: `code N` or `killed by SIGKILL` */
  reason?: string;
  closed?: { rooms: number; publishers: number; subscribers: number };
  /** started: how many times this worker has been restarted */
  restarts?: number;
}

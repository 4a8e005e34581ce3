/** The reference SFU's options (the per-frame records it streams to the harness: src/protocol/telemetry.ts). */
import type { AiOptions } from '../../src/protocol/ai.js';

export interface SfuOptions {
  /**
   * worker processes (docs/reference-server.md, Workers): each owns its rooms' sessions and UDP sockets; one HTTP
   * front places rooms on the least loaded worker; default 1 (everything in this process)
   */
  workers?: number;
  /** with workers > 1: subscribers a worker takes of one room before the room spreads to other workers (its
   * publisher's packets piped to them); default 100 */
  subscribersPerWorker?: number;
  /** hold every forwarded packet this long, ms (calibration); default 0 */
  addDelayMs?: number;
  /** hold every forwarded audio packet this much longer, ms (calibration of A/V sync); default 0 */
  addAudioDelayMs?: number;
  /** spend this much CPU on the event loop for every incoming video frame with a connected subscriber, ms
   * (calibration: an SFU that cannot keep up); default 0 */
  burnCpuMsPerFrame?: number;
  /** forwarded video loses the glassbench identity extensions and gets sequence numbers and timestamps shifted by a
   * random offset per subscriber, as SFUs that rewrite RTP do (calibration of frame identity); default false */
  rewriteRtp?: boolean;
  /** when set, WHIP/WHEP and the telemetry stream require `Authorization: Bearer <token>` */
  token?: string;
  /** largest accepted SDP body, bytes; default 65536 */
  maxBodyBytes?: number;
  /** a session that has not connected by then is closed, ms; default 30000 */
  connectTimeoutMs?: number;
  /** the AI hook on every published video track (placement `cloud`) */
  ai?: AiOptions;
  /** also listen on these addresses (the host ends of a run's links to its network namespaces) */
  alsoListenOn?: string[];
  /**
   * the IPv4 address written in its ICE candidates instead of the one a session's media binds to (1:1 NAT,
   * containers: the address peers reach it at); default the bound one
   */
  announceAddress?: string;
  /** UDP ports its media sockets bind from, inclusive (one per session); default any free port */
  udpPortRange?: [number, number];
  /** serve https with this certificate chain and key (PEM text); default plain http */
  tls?: { certPem: string; keyPem: string };
  /** limits (hostile or runaway clients): rooms at once (503 beyond), sessions per room (429 beyond),
   * sessions still negotiating or connecting at once (503 beyond), new sessions per second (429 beyond),
   * and a publisher that sends no media for idleTimeoutMs is closed (its subscribers with it) */
  maxRooms?: number;
  maxSessionsPerRoom?: number;
  maxPendingSessions?: number;
  maxSetupsPerSecond?: number;
  idleTimeoutMs?: number;
}

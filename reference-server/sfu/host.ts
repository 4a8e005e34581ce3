/**
 * What the HTTP front (server.ts) asks of whoever holds the sessions: this process (sfu/local-host.ts) or the
 * worker processes of a multi-worker SFU (cluster/cluster-host.ts). Both answer the same way, so WHIP/WHEP from
 * outside look alike whatever the number of workers.
 */
import type { ServerResponse } from 'node:http';

export type Endpoint = 'whip' | 'whep';

export interface CreateRequest {
  endpoint: Endpoint;
  roomId: string;
  /** WHEP `?stream=`: the publisher's session id; null = the room's first publisher */
  stream: string | null;
  sdp: string;
  /** the local address the request came in on: the session's media binds there */
  localAddress: string;
}

/** What the front's limits need to know (server.ts `admit`). */
export interface HostCounts {
  rooms: number;
  /** sessions of this room, undefined when the room does not exist */
  roomSessions(roomId: string): number | undefined;
  /** sessions still negotiating or connecting */
  pendingSessions(): number;
}

export interface SessionHost {
  start(): Promise<void>;
  counts(): HostCounts;
  /** negotiates a new session; throws HttpError (404 no_stream, 400 bad_sdp) */
  create(request: CreateRequest): Promise<{ id: string; answer: string }>;
  /** closes a session; throws HttpError 404 no_session */
  remove(endpoint: Endpoint, roomId: string, sessionId: string): Promise<void>;
  /** Prometheus text of `/metrics` */
  metricsText(): Promise<{ contentType: string; text: string }>;
  /** counts an answered 4xx/5xx */
  rejected(status: number): void;
  /** `/healthz` */
  health(): Record<string, unknown>;
  /** `/stats` */
  stats(): Promise<Record<string, unknown>>;
  /** `/telemetry`: the stream of every record from now on */
  attachTelemetry(res: ServerResponse): void;
  close(): Promise<void>;
}

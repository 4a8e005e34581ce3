/**
 * The messages between the HTTP front of a multi-worker SFU and its worker processes (Node IPC, JSON). The front
 * asks (`FrontRequest`, answered by one `WorkerReply` with the same `id`); a worker also tells the front, unasked,
 * that it is ready, that a session connected or closed, and its telemetry lines (`WorkerEvent`).
 */
import type { Registry } from 'prom-client';

import type { ExtensionIds } from '../../src/media/rtp-identity.js';
import type { TrendState } from '../../src/metrics/histogram.js';
import type { Endpoint } from '../sfu/host.js';
import type { Kind } from '../sfu/session.js';
import type { SfuOptions } from '../sfu/types.js';

/** What a worker process is started with (argv[2], JSON). */
export interface WorkerStart {
  index: number;
  options: SfuOptions;
}

/** A publisher as another worker needs to know it: its kinds and the identity extension ids it negotiated. */
export interface PublisherDescription {
  kinds: Kind[];
  extensions: Partial<Record<Kind, ExtensionIds>>;
}

export type FrontRequestBody =
  /** a WHIP session, or a WHEP one of a publisher here (`stream`) or piped here (`pipeId`) */
  | {
      op: 'create';
      endpoint: Endpoint;
      roomId: string;
      stream: string | null;
      pipeId?: number;
      sdp: string;
      localAddress: string;
    }
  | { op: 'remove'; endpoint: Endpoint; roomId: string; sessionId: string }
  /** start sending publisher `publisherId`'s packets to the pipe socket at `port` as pipe `pipeId` */
  | { op: 'pipe-out'; publisherId: string; pipeId: number; port: number }
  /** take pipe `pipeId` from the pipe socket at `port`: a source for subscribers here */
  | { op: 'pipe-in'; pipeId: number; publisherId: string; port: number; description: PublisherDescription }
  /** stop: an outgoing pipe stops sending; an incoming one closes with its subscribers */
  | { op: 'pipe-close'; pipeId: number; direction: 'out' | 'in' }
  | { op: 'metrics' }
  | { op: 'stats' }
  | { op: 'telemetry'; on: boolean }
  | { op: 'close' };

export type FrontRequest = FrontRequestBody & { id: number };

export type WorkerReply =
  | { id: number; ok: true; result?: unknown }
  | { id: number; ok: false; status: number; code: string; message: string; headers?: Record<string, string> };

export type WorkerEvent =
  | { event: 'ready'; pipePort: number }
  | { event: 'session'; id: string; state: 'connected' | 'closed' }
  | { event: 'telemetry'; text: string };

export interface CreateResult {
  id: string;
  answer: string;
  /** the session closed before the answer went out (its "closed" event came first): the front forgets it */
  closed?: boolean;
}

export interface StatsResult {
  forward: TrendState;
}

/** a worker's registry, `getMetricsAsJSON()` */
export type MetricsResult = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * The sessions of this process: rooms of WHIP publishers and WHEP subscribers, the AI hook, metrics and
 * telemetry. The whole SFU when it runs in one process; in a multi-worker SFU each worker process holds one
 * (cluster/worker-main.ts), with subscribers that may be bound to a publisher on another worker.
 */
import type { ServerResponse } from 'node:http';

import { ACCEPTED_CODECS, offeredCodecs } from '../../src/media/werift-config.js';
import { Trend } from '../../src/metrics/histogram.js';
import type { ResourceSampler } from '../../src/metrics/resources.js';
import { AiRuntime } from '../ai/runtime.js';
import { HttpError } from '../http-error.js';
import type { CreateRequest, Endpoint, HostCounts, SessionHost } from './host.js';
import { SfuMetrics } from './metrics.js';
import { Room } from './room.js';
import type { SessionContext } from './session.js';
import { PublisherSession, type Source, SubscriberSession } from './sessions.js';
import { resourceSampler, TelemetryStream } from './telemetry.js';
import type { SfuOptions } from './types.js';

const SESSION_ID = /^[0-9a-f-]{36}$/;

export interface LocalHostOptions {
  /** this host is worker `index` of a multi-worker SFU: its `res` records say so */
  worker?: number;
  /** told when a session has connected or closed (a worker tells its front) */
  onSession?: (id: string, state: 'connected' | 'closed') => void;
}

export class LocalHost implements SessionHost {
  readonly rooms = new Map<string, Room>();
  readonly metrics = new SfuMetrics();
  readonly telemetry = new TelemetryStream();
  readonly forwardTrend = new Trend();
  readonly ctx: SessionContext;
  private readonly resources: ResourceSampler;

  constructor(
    private readonly options: SfuOptions,
    private readonly local: LocalHostOptions = {},
  ) {
    this.ctx = {
      metrics: this.metrics,
      telemetry: this.telemetry,
      forwardTrend: this.forwardTrend,
      addDelayMs: options.addDelayMs ?? 0,
      addAudioDelayMs: options.addAudioDelayMs ?? 0,
      burnCpuMsPerFrame: options.burnCpuMsPerFrame ?? 0,
      rewriteRtp: options.rewriteRtp === true,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      ...(options.announceAddress ? { announceAddress: options.announceAddress } : {}),
      ...(options.udpPortRange ? { udpPortRange: options.udpPortRange } : {}),
    };
    if (options.ai && options.ai.placement === 'cloud') {
      const log = (message: string): void => void process.stderr.write(`glassbench sfu: ${message}\n`);
      this.ctx.ai = new AiRuntime({ ai: options.ai, metrics: this.metrics, telemetry: this.telemetry, log });
    }
    this.resources = resourceSampler(this.telemetry, local.worker);
  }

  async start(): Promise<void> {
    this.resources.start();
    await this.ctx.ai?.start();
  }

  counts(): HostCounts {
    return {
      rooms: this.rooms.size,
      roomSessions: (roomId) => {
        const room = this.rooms.get(roomId);
        return room ? room.publishers.size + room.subscribers.size : undefined;
      },
      pendingSessions: () => {
        let pending = 0;
        for (const r of this.rooms.values())
          for (const session of [...r.publishers.values(), ...r.subscribers.values()])
            if (session.pending) pending += 1;
        return pending;
      },
    };
  }

  /** `source`: a subscriber of a publisher on another worker (the request's room and stream are then its). */
  async create(request: CreateRequest, source?: Source): Promise<{ id: string; answer: string }> {
    const { endpoint, roomId, localAddress } = request;
    // a request on loopback is answered on loopback: the announced address is for peers on other hosts
    const ctx: SessionContext =
      localAddress === '127.0.0.1'
        ? { ...this.ctx, announceAddress: undefined }
        : { ...this.ctx, address: localAddress };
    const existing = this.rooms.get(roomId);
    const room = (): Room => {
      const made = this.rooms.get(roomId) ?? new Room(roomId);
      this.rooms.set(roomId, made);
      return made;
    };
    let session: PublisherSession | SubscriberSession;
    if (endpoint === 'whip') {
      session = new PublisherSession(ctx, (s) => this.forget(roomId, s.id));
      room().publishers.set(session.id, session);
    } else {
      const publisher = source ?? existing?.pickPublisher(request.stream);
      if (!publisher || publisher.isClosed)
        throw new HttpError(404, 'no_stream', `room ${roomId} has no such stream to subscribe to`);
      session = new SubscriberSession(ctx, (s) => this.forget(roomId, s.id), publisher);
      room().subscribers.set(session.id, session);
    }
    const onSession = this.local.onSession;
    if (onSession) {
      const id = session.id;
      session.pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') onSession(id, 'connected');
      });
    }
    this.updateGauges();
    let answer: string;
    try {
      answer = await session.start(request.sdp);
    } catch (error) {
      await session.close();
      const why = (error as Error).message;
      // werift says only "negotiate codecs failed": say what the offer had and what this SFU takes
      const codecs = /codec/i.test(why)
        ? ` (this SFU accepts ${ACCEPTED_CODECS}; the offer has ${offeredCodecs(request.sdp).join(', ') || 'no a=rtpmap codec'})`
        : '';
      throw new HttpError(400, 'bad_sdp', `could not apply the offer: ${why}${codecs}`);
    }
    if (session instanceof SubscriberSession && session.publisher.isClosed) {
      // its publisher left while the offer was being answered
      await session.close();
      throw new HttpError(404, 'no_stream', `room ${roomId} has no such stream to subscribe to`);
    }
    return { id: session.id, answer };
  }

  async remove(endpoint: Endpoint, roomId: string, sessionId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    const sessions = endpoint === 'whip' ? room?.publishers : room?.subscribers;
    const session = SESSION_ID.test(sessionId) ? sessions?.get(sessionId) : undefined;
    if (!session)
      throw new HttpError(404, 'no_session', `no ${endpoint.toUpperCase()} session ${sessionId} in room ${roomId}`);
    await session.close();
  }

  /** Whether a session of that id is open here. */
  has(sessionId: string): boolean {
    for (const room of this.rooms.values())
      if (room.publishers.has(sessionId) || room.subscribers.has(sessionId)) return true;
    return false;
  }

  /** The publisher session of that id, wherever its room. */
  publisher(sessionId: string): PublisherSession | undefined {
    for (const room of this.rooms.values()) {
      const publisher = room.publishers.get(sessionId);
      if (publisher) return publisher;
    }
    return undefined;
  }

  async metricsText(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.metrics.registry.contentType, text: await this.metrics.registry.metrics() };
  }

  rejected(status: number): void {
    this.metrics.rejected.inc({ status: String(status) });
  }

  health(): Record<string, unknown> {
    let sessions = 0;
    for (const room of this.rooms.values()) sessions += room.publishers.size + room.subscribers.size;
    const health: Record<string, unknown> = {
      status: 'ok',
      rooms: this.rooms.size,
      sessions,
      addDelayMs: this.ctx.addDelayMs,
      addAudioDelayMs: this.ctx.addAudioDelayMs,
      burnCpuMsPerFrame: this.ctx.burnCpuMsPerFrame,
      rewriteRtp: this.ctx.rewriteRtp,
    };
    if (this.ctx.ai)
      health['ai'] = {
        mode: this.ctx.ai.options.mode,
        backend: this.ctx.ai.options.backend.type,
        externalWorkerPid: this.ctx.ai.externalWorkerPid,
      };
    return health;
  }

  stats(): Promise<Record<string, unknown>> {
    return Promise.resolve({ forwardMs: this.forwardTrend.summary(), ...this.health() });
  }

  attachTelemetry(res: ServerResponse): void {
    this.telemetry.attach(res);
  }

  async close(): Promise<void> {
    this.resources.stop();
    await Promise.all([...this.rooms.values()].map((room) => room.close()));
    this.rooms.clear();
    await this.ctx.ai?.close();
    this.telemetry.close();
  }

  private forget(roomId: string, sessionId: string): void {
    this.local.onSession?.(sessionId, 'closed');
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.publishers.delete(sessionId);
    room.subscribers.delete(sessionId);
    if (room.empty) this.rooms.delete(roomId);
    this.updateGauges();
  }

  private updateGauges(): void {
    let publishers = 0;
    let subscribers = 0;
    for (const room of this.rooms.values()) {
      publishers += room.publishers.size;
      subscribers += room.subscribers.size;
    }
    this.metrics.sessions.set({ role: 'publisher' }, publishers);
    this.metrics.sessions.set({ role: 'subscriber' }, subscribers);
    this.metrics.rooms.set(this.rooms.size);
  }
}

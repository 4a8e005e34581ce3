/**
 * The reference SFU's HTTP face: WHIP ingest and WHEP egress (RFC 9725: POST an SDP offer, 201 Created
 * with the answer and a Location, DELETE that resource to leave), `GET /metrics` (Prometheus text),
 * `GET /healthz`, `GET /stats` (forwarding-time summary), `GET /telemetry` (per-frame NDJSON stream) and
 * `GET /clock` (the server's receive and send times of the request, for the harness's clock-offset estimate).
 * Bad requests get a 4xx with a JSON error body; the server keeps serving.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import { nowMs } from '../src/metrics/clock.js';
import { Trend } from '../src/metrics/histogram.js';
import { ResourceSampler } from '../src/metrics/resources.js';
import type { ClockReply } from '../src/protocol/clock.js';
import { AiRuntime } from './ai/runtime.js';
import { SfuMetrics } from './sfu/metrics.js';
import { Room } from './sfu/room.js';
import type { SessionContext } from './sfu/session.js';
import { PublisherSession, SubscriberSession } from './sfu/sessions.js';
import { TelemetryStream } from './sfu/telemetry.js';
import type { SfuOptions } from './sfu/types.js';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const ROOM_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SESSION_ID = /^[0-9a-f-]{36}$/;

export class ReferenceServer {
  private readonly http: Server;
  private readonly rooms = new Map<string, Room>();
  private readonly metrics = new SfuMetrics();
  private readonly telemetry = new TelemetryStream();
  private readonly forwardTrend = new Trend();
  private readonly resources: ResourceSampler;
  private readonly ctx: SessionContext;
  private readonly maxBodyBytes: number;
  private readonly extraServers: Server[] = [];
  /** session set-ups in the current second (rate limit) */
  private setups = { second: 0, count: 0 };
  private closing: Promise<void> | undefined;

  constructor(private readonly options: SfuOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
    this.ctx = {
      metrics: this.metrics,
      telemetry: this.telemetry,
      forwardTrend: this.forwardTrend,
      addDelayMs: options.addDelayMs ?? 0,
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
    this.resources = new ResourceSampler((s) =>
      this.telemetry.push({
        k: 'res',
        ms: s.ms,
        cpuPct: s.cpuPct,
        rssMb: s.rssMb,
        loopDelayP99Ms: s.loopDelayP99Ms,
        loopDelayMaxMs: s.loopDelayMaxMs,
      }),
    );
    this.http = this.makeServer();
  }

  /** http, or https with the configured certificate; either serves the same routes. */
  private makeServer(): Server {
    const listener: RequestListener = (req, res) => {
      this.handle(req, res).catch((error: unknown) => this.fail(res, error));
    };
    const tls = this.options.tls;
    const server: Server = tls
      ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, listener)
      : createServer(listener);
    // a harness's telemetry stream stays open for the whole run
    server.requestTimeout = 0;
    return server;
  }

  /**
   * Binds to `host` (default 127.0.0.1; port 0 picks a free one) and resolves with the port; also on each of
   * `alsoOn` (the host ends of a run's links to its network namespaces), on the same port. A session's media binds
   * to the address its request came in on.
   */
  async listen(port = 0, host = '127.0.0.1', alsoOn: string[] = []): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve());
    });
    const bound = (this.http.address() as AddressInfo).port;
    for (const address of alsoOn) {
      const extra = this.makeServer();
      await new Promise<void>((resolve, reject) => {
        extra.once('error', reject);
        extra.listen(bound, address, () => resolve());
      });
      this.extraServers.push(extra);
    }
    this.resources.start();
    await this.ctx.ai?.start();
    return (this.http.address() as AddressInfo).port;
  }

  /** Idempotent: closes every room and session, the telemetry stream and the HTTP server. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.resources.stop();
      await Promise.all([...this.rooms.values()].map((room) => room.close()));
      this.rooms.clear();
      await this.ctx.ai?.close();
      this.telemetry.close();
      this.http.closeAllConnections();
      for (const extra of this.extraServers) extra.closeAllConnections();
      await Promise.all(
        [this.http, ...this.extraServers].map(
          (server) => new Promise<void>((resolve) => server.close(() => resolve())),
        ),
      );
    })();
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parts = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/clock') {
      // NTP-style exchange (src/protocol/clock.ts): stamped first, so the auth check counts as server time
      const receivedMs = nowMs();
      this.authorize(req);
      const reply: ClockReply = { receivedMs, sentMs: nowMs() };
      return this.json(res, 200, reply, { 'cache-control': 'no-store' });
    }
    if (method === 'GET' && url.pathname === '/healthz') return this.json(res, 200, this.health());
    if (method === 'GET' && url.pathname === '/metrics') {
      this.authorize(req);
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
      res.end(await this.metrics.registry.metrics());
      return;
    }
    if (method === 'GET' && url.pathname === '/stats') {
      this.authorize(req);
      return this.json(res, 200, { forwardMs: this.forwardTrend.summary(), ...this.health() });
    }
    if (method === 'GET' && url.pathname === '/telemetry') {
      this.authorize(req);
      this.telemetry.attach(res);
      return;
    }
    const [endpoint, roomId, sessionId] = parts;
    if ((endpoint === 'whip' || endpoint === 'whep') && roomId !== undefined && parts.length <= 3) {
      if (!ROOM_ID.test(roomId)) throw new HttpError(400, 'bad_room', 'room id must be 1-64 letters, digits, _ or -');
      if (method === 'OPTIONS') {
        res.writeHead(204, { 'accept-post': 'application/sdp', allow: 'OPTIONS, POST, DELETE' });
        res.end();
        return;
      }
      this.authorize(req);
      if (method === 'POST' && sessionId === undefined) return this.create(endpoint, roomId, url, req, res);
      if (method === 'DELETE' && sessionId !== undefined) return this.remove(endpoint, roomId, sessionId, res);
      if (method === 'PATCH' && sessionId !== undefined) {
        throw new HttpError(405, 'no_trickle', 'this server does not support trickle ICE; send a complete offer', {
          allow: 'DELETE',
        });
      }
      throw new HttpError(405, 'method_not_allowed', `${method} is not supported here`);
    }
    throw new HttpError(404, 'not_found', `no route for ${method} ${url.pathname}`);
  }

  private async create(
    endpoint: 'whip' | 'whep',
    roomId: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/sdp') {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `Content-Type must be application/sdp, got ${contentType || 'none'}`,
      );
    }
    this.admit(endpoint, roomId);
    const sdp = await this.readBody(req);
    if (sdp.trim() === '') throw new HttpError(400, 'empty_body', 'the request has no SDP offer');
    if (!sdp.startsWith('v=0') || !/\r?\nm=(audio|video) /.test(sdp)) {
      throw new HttpError(400, 'bad_sdp', 'the body is not an SDP offer with an audio or video m-line');
    }
    let room = this.rooms.get(roomId);
    let session: PublisherSession | SubscriberSession;
    // media answers on the address the request came in on: loopback, or a run's link to a network namespace
    const local = (req.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    // a request on loopback is answered on loopback: the announced address is for peers on other hosts
    const ctx: SessionContext =
      local === '127.0.0.1' ? { ...this.ctx, announceAddress: undefined } : { ...this.ctx, address: local };
    if (endpoint === 'whip') {
      if (!room) {
        room = new Room(roomId);
        this.rooms.set(roomId, room);
      }
      session = new PublisherSession(ctx, (s) => this.forget(roomId, s.id));
      room.publishers.set(session.id, session);
    } else {
      const publisher = room?.pickPublisher(url.searchParams.get('stream'));
      if (!room || !publisher)
        throw new HttpError(404, 'no_stream', `room ${roomId} has no such stream to subscribe to`);
      session = new SubscriberSession(ctx, (s) => this.forget(roomId, s.id), publisher);
      room.subscribers.set(session.id, session);
    }
    this.updateGauges();
    let answer: string;
    try {
      answer = await session.start(sdp);
    } catch (error) {
      await session.close();
      throw new HttpError(400, 'bad_sdp', `could not apply the offer: ${(error as Error).message}`);
    }
    res.writeHead(201, {
      'content-type': 'application/sdp',
      location: `/${endpoint}/${roomId}/${session.id}`,
      etag: `"${session.id}"`,
    });
    res.end(answer);
  }

  /** Refuses a new session the server's limits do not allow (before reading its body). */
  private admit(endpoint: 'whip' | 'whep', roomId: string): void {
    const o = this.options;
    const second = Math.floor(nowMs() / 1000);
    if (this.setups.second !== second) this.setups = { second, count: 0 };
    this.setups.count += 1;
    if (this.setups.count > (o.maxSetupsPerSecond ?? 500)) {
      throw new HttpError(429, 'rate_limited', `more than ${o.maxSetupsPerSecond ?? 500} new sessions in one second`, {
        'retry-after': '1',
      });
    }
    const room = this.rooms.get(roomId);
    if (!room && endpoint === 'whip' && this.rooms.size >= (o.maxRooms ?? 1000)) {
      throw new HttpError(503, 'too_many_rooms', `the server holds its limit of ${o.maxRooms ?? 1000} rooms`, {
        'retry-after': '5',
      });
    }
    if (room && room.publishers.size + room.subscribers.size >= (o.maxSessionsPerRoom ?? 1000)) {
      throw new HttpError(
        429,
        'room_full',
        `room ${roomId} holds its limit of ${o.maxSessionsPerRoom ?? 1000} sessions`,
        { 'retry-after': '5' },
      );
    }
    let pending = 0;
    for (const r of this.rooms.values())
      for (const session of [...r.publishers.values(), ...r.subscribers.values()]) if (session.pending) pending += 1;
    if (pending >= (o.maxPendingSessions ?? 256)) {
      throw new HttpError(503, 'busy', `${pending} sessions are still connecting; try again shortly`, {
        'retry-after': '1',
      });
    }
  }

  private async remove(
    endpoint: 'whip' | 'whep',
    roomId: string,
    sessionId: string,
    res: ServerResponse,
  ): Promise<void> {
    const room = this.rooms.get(roomId);
    const sessions = endpoint === 'whip' ? room?.publishers : room?.subscribers;
    const session = SESSION_ID.test(sessionId) ? sessions?.get(sessionId) : undefined;
    if (!session)
      throw new HttpError(404, 'no_session', `no ${endpoint.toUpperCase()} session ${sessionId} in room ${roomId}`);
    await session.close();
    res.writeHead(200);
    res.end();
  }

  private forget(roomId: string, sessionId: string): void {
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

  private health(): Record<string, unknown> {
    let sessions = 0;
    for (const room of this.rooms.values()) sessions += room.publishers.size + room.subscribers.size;
    const health: Record<string, unknown> = {
      status: 'ok',
      rooms: this.rooms.size,
      sessions,
      addDelayMs: this.ctx.addDelayMs,
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

  private authorize(req: IncomingMessage): void {
    const token = this.options.token;
    if (!token) return;
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    const expected = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(401, 'unauthorized', 'a valid Bearer token is required', { 'www-authenticate': 'Bearer' });
    }
  }

  /**
   * Reads the body up to maxBodyBytes. A larger body is drained (so the client gets its 413 instead of a
   * reset connection) unless it goes past 16 times the limit, where the connection is cut.
   */
  private readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const tooLarge = (): HttpError =>
        new HttpError(413, 'body_too_large', `the body is larger than ${this.maxBodyBytes} bytes`, {
          connection: 'close',
        });
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= this.maxBodyBytes) chunks.push(chunk);
        else if (size > this.maxBodyBytes * 16) {
          reject(tooLarge());
          req.destroy();
        }
      });
      req.on('end', () =>
        size > this.maxBodyBytes ? reject(tooLarge()) : resolve(Buffer.concat(chunks).toString('utf8')),
      );
      req.on('error', reject);
    });
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private fail(res: ServerResponse, error: unknown): void {
    const httpError =
      error instanceof HttpError ? error : new HttpError(500, 'internal', (error as Error)?.message ?? String(error));
    this.metrics.rejected.inc({ status: String(httpError.status) });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.json(
      res,
      httpError.status,
      { error: { code: httpError.errorCode, message: httpError.message } },
      httpError.headers,
    );
  }
}

/**
 * The reference SFU's HTTP face: WHIP ingest and WHEP egress (RFC 9725: POST an SDP offer, 201 Created
 * with the answer and a Location, DELETE that resource to leave), `GET /metrics` (Prometheus text),
 * `GET /healthz`, `GET /stats` (forwarding-time summary), `GET /telemetry` (per-frame NDJSON stream) and
 * `GET /clock` (the server's receive and send times of the request, for the harness's clock-offset estimate).
 * Bad requests get a 4xx with a JSON error body; the server keeps serving. The sessions live in this process
 * (sfu/local-host.ts) or, with `workers` > 1, in worker processes behind this front (cluster/cluster-host.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import { nowMs } from '../src/metrics/clock.js';
import type { ClockReply } from '../src/protocol/clock.js';
import { ClusterHost } from './cluster/cluster-host.js';
import { HttpError } from './http-error.js';
import type { Endpoint, SessionHost } from './sfu/host.js';
import { LocalHost } from './sfu/local-host.js';
import type { SfuOptions } from './sfu/types.js';

const ROOM_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class ReferenceServer {
  private readonly http: Server;
  private readonly host: SessionHost;
  private readonly maxBodyBytes: number;
  private readonly extraServers: Server[] = [];
  /** session set-ups in the current second (rate limit) */
  private setups = { second: 0, count: 0 };
  private closing: Promise<void> | undefined;

  constructor(private readonly options: SfuOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
    this.host = (options.workers ?? 1) > 1 ? new ClusterHost(options) : new LocalHost(options);
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
    await this.host.start();
    return (this.http.address() as AddressInfo).port;
  }

  /** Idempotent: closes every room and session (and worker), the telemetry stream and the HTTP server. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.host.close();
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
    if (method === 'GET' && url.pathname === '/healthz') return this.json(res, 200, this.host.health());
    if (method === 'GET' && url.pathname === '/metrics') {
      this.authorize(req);
      const { contentType, text } = await this.host.metricsText();
      res.writeHead(200, { 'content-type': contentType });
      res.end(text);
      return;
    }
    if (method === 'GET' && url.pathname === '/stats') {
      this.authorize(req);
      return this.json(res, 200, await this.host.stats());
    }
    if (method === 'GET' && url.pathname === '/telemetry') {
      this.authorize(req);
      this.host.attachTelemetry(res);
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

  private async create(endpoint: Endpoint, roomId: string, url: URL, req: IncomingMessage, res: ServerResponse) {
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
    // media answers on the address the request came in on: loopback, or a run's link to a network namespace
    const localAddress = (req.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const stream = url.searchParams.get('stream');
    const { id, answer } = await this.host.create({ endpoint, roomId, stream, sdp, localAddress });
    res.writeHead(201, {
      'content-type': 'application/sdp',
      location: `/${endpoint}/${roomId}/${id}`,
      etag: `"${id}"`,
    });
    res.end(answer);
  }

  /** Refuses a new session the server's limits do not allow (before reading its body). */
  private admit(endpoint: Endpoint, roomId: string): void {
    const o = this.options;
    const counts = this.host.counts();
    const second = Math.floor(nowMs() / 1000);
    if (this.setups.second !== second) this.setups = { second, count: 0 };
    this.setups.count += 1;
    if (this.setups.count > (o.maxSetupsPerSecond ?? 500)) {
      throw new HttpError(429, 'rate_limited', `more than ${o.maxSetupsPerSecond ?? 500} new sessions in one second`, {
        'retry-after': '1',
      });
    }
    const roomSessions = counts.roomSessions(roomId);
    if (roomSessions === undefined && endpoint === 'whip' && counts.rooms >= (o.maxRooms ?? 1000)) {
      throw new HttpError(503, 'too_many_rooms', `the server holds its limit of ${o.maxRooms ?? 1000} rooms`, {
        'retry-after': '5',
      });
    }
    if (roomSessions !== undefined && roomSessions >= (o.maxSessionsPerRoom ?? 1000)) {
      throw new HttpError(
        429,
        'room_full',
        `room ${roomId} holds its limit of ${o.maxSessionsPerRoom ?? 1000} sessions`,
        { 'retry-after': '5' },
      );
    }
    const pending = counts.pendingSessions();
    if (pending >= (o.maxPendingSessions ?? 256)) {
      throw new HttpError(503, 'busy', `${pending} sessions are still connecting; try again shortly`, {
        'retry-after': '1',
      });
    }
  }

  private async remove(endpoint: Endpoint, roomId: string, sessionId: string, res: ServerResponse): Promise<void> {
    await this.host.remove(endpoint, roomId, sessionId);
    res.writeHead(200);
    res.end();
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
    this.host.rejected(httpError.status);
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

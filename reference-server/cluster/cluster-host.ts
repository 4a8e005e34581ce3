/**
 * The sessions of a multi-worker SFU (`workers` > 1), held by worker processes behind the HTTP front: rooms are
 * placed on workers (cluster/placement.ts), requests forwarded over IPC, a publisher's packets piped to the other
 * workers that hold some of its subscribers (cluster/pipe.ts), `/metrics`, `/stats` and the telemetry stream
 * gathered from every worker. A worker that dies takes only its own sessions (and the subscribers elsewhere of
 * its publishers); the telemetry says what ended with it, and it is started again.
 */
import type { ServerResponse } from 'node:http';

import { AggregatorRegistry, collectDefaultMetrics, Counter, Registry } from 'prom-client';

import { nowMs } from '../../src/metrics/clock.js';
import { Trend } from '../../src/metrics/histogram.js';
import { ResourceSampler } from '../../src/metrics/resources.js';
import { HttpError } from '../http-error.js';
import type { CreateRequest, Endpoint, HostCounts, SessionHost } from '../sfu/host.js';
import { TelemetryStream } from '../sfu/telemetry.js';
import type { SfuOptions } from '../sfu/types.js';
import type { CreateResult, MetricsResult, PublisherDescription, StatsResult, WorkerEvent } from './ipc.js';
import { placeRoom, placeSubscriber } from './placement.js';
import { Worker } from './workers.js';

interface SessionEntry {
  id: string;
  roomId: string;
  role: 'publisher' | 'subscriber';
  worker: number;
  pending: boolean;
  /** subscribers bound to a publisher on another worker: the pipe's key */
  pipe?: string;
}

interface RoomEntry {
  /** the worker of its publishers; undefined once that worker died (the next publisher places it again) */
  home: number | undefined;
  sessions: Set<string>;
}

interface PipeEntry {
  pipeId: number;
  publisherId: string;
  from: number;
  to: number;
  /** subscribers bound to it, and those being created */
  users: number;
  ready: Promise<void>;
}

const DEFAULT_SUBSCRIBERS_PER_WORKER = 100;
/** `/metrics` and `/stats` leave out a worker that has not answered by then */
const GATHER_TIMEOUT_MS = 2000;

export class ClusterHost implements SessionHost {
  private readonly workers: Worker[];
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly rooms = new Map<string, RoomEntry>();
  private readonly pipes = new Map<string, PipeEntry>();
  private nextPipeId = 1;
  /** sessions being created, by worker and room: counted as placed so that concurrent requests spread */
  private readonly placing: { worker: number; roomId: string; role: 'publisher' | 'subscriber' }[] = [];
  private readonly telemetry: TelemetryStream;
  private readonly registry = new Registry();
  private readonly rejectedCounter = new Counter({
    name: 'glassbench_sfu_requests_rejected_total',
    help: 'HTTP requests answered 4xx',
    labelNames: ['status'],
    registers: [this.registry],
  });
  private readonly resources: ResourceSampler;
  private readonly perWorker: number;
  private closing = false;

  constructor(private readonly options: SfuOptions) {
    if (options.ai?.placement === 'cloud')
      throw new Error('the cloud AI hook runs in one process only (its scheduler is one pool): use workers: 1');
    this.perWorker = options.subscribersPerWorker ?? DEFAULT_SUBSCRIBERS_PER_WORKER;
    collectDefaultMetrics({ register: this.registry });
    this.telemetry = new TelemetryStream((on) => {
      for (const w of this.workers) if (w.ready) void w.request({ op: 'telemetry', on }).catch(() => undefined);
    });
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
    const handlers = {
      onEvent: (w: Worker, event: WorkerEvent) => this.onEvent(w, event),
      onReady: (w: Worker) => this.onReady(w),
      onExit: (w: Worker, reason: string) => this.onWorkerExit(w, reason),
    };
    const count = options.workers ?? 1;
    this.workers = Array.from({ length: count }, (_, i) => new Worker(i, options, handlers));
  }

  async start(): Promise<void> {
    try {
      await Promise.all(this.workers.map((w) => w.start()));
    } catch (error) {
      await this.close();
      throw error;
    }
    this.resources.start();
  }

  counts(): HostCounts {
    return {
      rooms: this.rooms.size,
      // sessions still being created count as they do in one process (from their request on)
      roomSessions: (roomId) => {
        const room = this.rooms.get(roomId);
        return room ? room.sessions.size + this.placing.filter((p) => p.roomId === roomId).length : undefined;
      },
      pendingSessions: () => {
        let pending = this.placing.length;
        for (const s of this.sessions.values()) if (s.pending) pending += 1;
        return pending;
      },
    };
  }

  async create(request: CreateRequest): Promise<CreateResult> {
    const { roomId } = request;
    if (request.endpoint === 'whip') {
      const room = this.rooms.get(roomId) ?? { home: undefined, sessions: new Set<string>() };
      room.home ??= placeRoom(this.loads());
      if (room.home === undefined) throw this.noWorker();
      this.rooms.set(roomId, room);
      const home = room.home;
      const result = await this.forgetRoomOnFailure(roomId, () =>
        this.placed(home, roomId, 'publisher', () =>
          this.worker(home).request<CreateResult>({ op: 'create', ...request }),
        ),
      );
      this.register({ id: result.id, roomId, role: 'publisher', worker: home, pending: true }, result.closed);
      return result;
    }
    const room = this.rooms.get(roomId);
    const publisher = this.pickPublisher(room, request.stream);
    if (!room || !publisher) throw new HttpError(404, 'no_stream', `room ${roomId} has no such stream to subscribe to`);
    const target = placeSubscriber(
      this.loads(),
      publisher.worker,
      (i) => this.roomSubscribers(roomId, room, i),
      this.perWorker,
    );
    if (target === undefined) throw this.noWorker();
    if (target === publisher.worker) {
      const result = await this.placed(target, roomId, 'subscriber', () =>
        this.worker(target).request<CreateResult>({ op: 'create', ...request, stream: publisher.id }),
      );
      this.register({ id: result.id, roomId, role: 'subscriber', worker: target, pending: true }, result.closed);
      return result;
    }
    const key = `${publisher.id}>${target}`;
    const pipe = this.pipes.get(key) ?? this.openPipe(key, publisher, target);
    pipe.users += 1;
    try {
      const result = await this.placed(target, roomId, 'subscriber', async () => {
        await pipe.ready;
        if (this.pipes.get(key) !== pipe) throw new HttpError(404, 'no_stream', 'the stream closed meanwhile');
        return this.worker(target).request<CreateResult>({ op: 'create', ...request, pipeId: pipe.pipeId });
      });
      this.register(
        { id: result.id, roomId, role: 'subscriber', worker: target, pending: true, pipe: key },
        result.closed,
      );
      return result;
    } catch (error) {
      this.releasePipe(key);
      throw error;
    }
  }

  async remove(endpoint: Endpoint, roomId: string, sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    const role = endpoint === 'whip' ? 'publisher' : 'subscriber';
    if (!session || session.roomId !== roomId || session.role !== role)
      throw new HttpError(404, 'no_session', `no ${endpoint.toUpperCase()} session ${sessionId} in room ${roomId}`);
    await this.worker(session.worker).request({ op: 'remove', endpoint, roomId, sessionId });
  }

  async metricsText(): Promise<{ contentType: string; text: string }> {
    const front = await this.registry.getMetricsAsJSON();
    const perProcess: { label: string; metrics: MetricsResult }[] = [{ label: 'front', metrics: front }];
    const answers = await Promise.all(
      this.workers.map((w) =>
        w.ready ? w.request<MetricsResult>({ op: 'metrics' }, GATHER_TIMEOUT_MS).catch(() => undefined) : undefined,
      ),
    );
    answers.forEach((metrics, i) => {
      if (metrics) perProcess.push({ label: String(i), metrics });
    });
    const labelled = perProcess.map(({ label, metrics }) =>
      metrics.map((m) => ({ ...m, values: m.values.map((v) => ({ ...v, labels: { ...v.labels, worker: label } })) })),
    );
    const aggregated = AggregatorRegistry.aggregate([...labelled, ...perProcess.map((p) => p.metrics)]);
    return { contentType: this.registry.contentType, text: await aggregated.metrics() };
  }

  rejected(status: number): void {
    this.rejectedCounter.inc({ status: String(status) });
  }

  health(): Record<string, unknown> {
    const workers = this.workers.map((w) => {
      let publishers = 0;
      let subscribers = 0;
      const rooms = new Set<string>();
      for (const s of this.sessions.values()) {
        if (s.worker !== w.index) continue;
        if (s.role === 'publisher') publishers += 1;
        else subscribers += 1;
        rooms.add(s.roomId);
      }
      return {
        index: w.index,
        pid: w.pid,
        ready: w.ready,
        rooms: rooms.size,
        roomIds: [...rooms].sort(),
        publishers,
        subscribers,
        restarts: w.restarts,
      };
    });
    return {
      status: this.workers.every((w) => w.ready) ? 'ok' : 'degraded',
      rooms: this.rooms.size,
      sessions: this.sessions.size,
      addDelayMs: this.options.addDelayMs ?? 0,
      burnCpuMsPerFrame: this.options.burnCpuMsPerFrame ?? 0,
      rewriteRtp: this.options.rewriteRtp === true,
      workers,
    };
  }

  async stats(): Promise<Record<string, unknown>> {
    const forward = new Trend();
    const answers = await Promise.all(
      this.workers.map((w) =>
        w.ready ? w.request<StatsResult>({ op: 'stats' }, GATHER_TIMEOUT_MS).catch(() => undefined) : undefined,
      ),
    );
    for (const answer of answers) if (answer) forward.merge(answer.forward);
    return { forwardMs: forward.summary(), ...this.health() };
  }

  attachTelemetry(res: ServerResponse): void {
    this.telemetry.attach(res);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.resources.stop();
    await Promise.all(this.workers.map((w) => w.stop()));
    this.telemetry.close();
  }

  private worker(index: number): Worker {
    const worker = this.workers[index];
    if (!worker) throw new HttpError(500, 'internal', `no SFU worker ${index}`);
    return worker;
  }

  private loads() {
    return this.workers.map((w) => {
      let sessions = 0;
      const rooms = new Set<string>();
      for (const s of this.sessions.values())
        if (s.worker === w.index) {
          sessions += 1;
          rooms.add(s.roomId);
        }
      for (const [id, room] of this.rooms) if (room.home === w.index) rooms.add(id);
      for (const p of this.placing) if (p.worker === w.index) sessions += 1;
      return { index: w.index, ready: w.ready, sessions, rooms: rooms.size };
    });
  }

  /** Runs a session's creation with the session counted on its worker meanwhile. */
  private async placed<T>(worker: number, roomId: string, role: 'publisher' | 'subscriber', run: () => Promise<T>) {
    const entry = { worker, roomId, role };
    this.placing.push(entry);
    try {
      return await run();
    } finally {
      this.placing.splice(this.placing.indexOf(entry), 1);
    }
  }

  private noWorker(): HttpError {
    return new HttpError(503, 'no_worker', 'no SFU worker is ready (one is restarting); try again', {
      'retry-after': '1',
    });
  }

  /** Runs a request that made a room: a room left without sessions when it fails is forgotten. */
  private async forgetRoomOnFailure<T>(roomId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const room = this.rooms.get(roomId);
      if (room && room.sessions.size === 0) this.rooms.delete(roomId);
      throw error;
    }
  }

  private pickPublisher(room: RoomEntry | undefined, stream: string | null): SessionEntry | undefined {
    if (!room) return undefined;
    if (stream) {
      const s = this.sessions.get(stream);
      return s?.role === 'publisher' && room.sessions.has(stream) ? s : undefined;
    }
    for (const id of room.sessions) {
      const s = this.sessions.get(id);
      if (s?.role === 'publisher') return s;
    }
    return undefined;
  }

  private roomSubscribers(roomId: string, room: RoomEntry, worker: number): number {
    let n = 0;
    for (const p of this.placing) if (p.roomId === roomId && p.role === 'subscriber' && p.worker === worker) n += 1;
    for (const id of room.sessions) {
      const s = this.sessions.get(id);
      if (s?.role === 'subscriber' && s.worker === worker) n += 1;
    }
    return n;
  }

  private register(entry: SessionEntry, closed: boolean | undefined): void {
    if (closed) {
      if (entry.pipe) this.releasePipe(entry.pipe);
      const room = this.rooms.get(entry.roomId);
      if (room && room.sessions.size === 0) this.rooms.delete(entry.roomId);
      return;
    }
    this.sessions.set(entry.id, entry);
    const room = this.rooms.get(entry.roomId) ?? {
      home: entry.role === 'publisher' ? entry.worker : undefined,
      sessions: new Set(),
    };
    room.sessions.add(entry.id);
    this.rooms.set(entry.roomId, room);
  }

  private openPipe(key: string, publisher: SessionEntry, to: number): PipeEntry {
    const pipeId = this.nextPipeId++;
    const from = publisher.worker;
    const entry: PipeEntry = { pipeId, publisherId: publisher.id, from, to, users: 0, ready: Promise.resolve() };
    const gone = (): HttpError | undefined =>
      this.pipes.get(key) === entry ? undefined : new HttpError(404, 'no_stream', 'the stream closed meanwhile');
    entry.ready = (async () => {
      const description = await this.worker(from).request<PublisherDescription>({
        op: 'pipe-out',
        publisherId: publisher.id,
        pipeId,
        port: this.worker(to).pipePort,
      });
      try {
        const closed = gone();
        if (closed) throw closed;
        await this.worker(to).request({
          op: 'pipe-in',
          pipeId,
          publisherId: publisher.id,
          port: this.worker(from).pipePort,
          description,
        });
      } catch (error) {
        // the sending end is open: stop it
        const w = this.workers[from];
        if (w?.ready) void w.request({ op: 'pipe-close', pipeId, direction: 'out' }).catch(() => undefined);
        throw error;
      }
      const closed = gone();
      if (closed) throw closed;
    })();
    // a pipe that failed to open is forgotten (its users see the error)
    entry.ready.catch(() => {
      if (this.pipes.get(key) === entry) this.pipes.delete(key);
    });
    this.pipes.set(key, entry);
    return entry;
  }

  /** One user fewer; the last one closes the pipe at both ends. */
  private releasePipe(key: string): void {
    const pipe = this.pipes.get(key);
    if (!pipe) return;
    pipe.users -= 1;
    if (pipe.users > 0) return;
    this.closePipe(key, pipe);
  }

  private closePipe(key: string, pipe: PipeEntry): void {
    this.pipes.delete(key);
    const ends = [
      { worker: pipe.from, direction: 'out' as const },
      { worker: pipe.to, direction: 'in' as const },
    ];
    for (const { worker, direction } of ends) {
      const w = this.workers[worker];
      if (w?.ready) void w.request({ op: 'pipe-close', pipeId: pipe.pipeId, direction }).catch(() => undefined);
    }
  }

  private onEvent(worker: Worker, event: WorkerEvent): void {
    if (event.event === 'telemetry') this.telemetry.pushText(event.text);
    else if (event.event === 'session') {
      const session = this.sessions.get(event.id);
      if (!session || session.worker !== worker.index) return;
      if (event.state === 'connected') session.pending = false;
      else this.unregister(session);
    }
  }

  private unregister(session: SessionEntry): void {
    this.sessions.delete(session.id);
    const room = this.rooms.get(session.roomId);
    room?.sessions.delete(session.id);
    if (room && room.sessions.size === 0) this.rooms.delete(session.roomId);
    if (session.pipe) this.releasePipe(session.pipe);
    if (session.role === 'publisher')
      for (const [key, pipe] of this.pipes) if (pipe.publisherId === session.id) this.closePipe(key, pipe);
  }

  private onReady(worker: Worker): void {
    if (this.telemetry.active) void worker.request({ op: 'telemetry', on: true }).catch(() => undefined);
    if (worker.restarts > 0)
      this.telemetry.push({
        k: 'worker',
        ms: nowMs(),
        worker: worker.index,
        pid: worker.pid,
        state: 'started',
        restarts: worker.restarts,
      });
  }

  /** What ended with a worker: its sessions, its rooms, and the subscribers elsewhere of its publishers. */
  private onWorkerExit(worker: Worker, reason: string): void {
    if (this.closing) return;
    const closed = { rooms: 0, publishers: 0, subscribers: 0 };
    const rooms = new Set<string>();
    for (const session of [...this.sessions.values()]) {
      if (session.worker !== worker.index) continue;
      if (session.role === 'publisher') {
        closed.publishers += 1;
        rooms.add(session.roomId);
      } else closed.subscribers += 1;
      this.unregister(session);
    }
    // subscribers on other workers of its publishers close with their pipes (their own "closed" follows)
    for (const s of this.sessions.values()) if (s.pipe && this.pipes.get(s.pipe) === undefined) closed.subscribers += 1;
    for (const [id, room] of this.rooms)
      if (room.home === worker.index) {
        room.home = undefined;
        rooms.add(id);
      }
    closed.rooms = rooms.size;
    this.telemetry.push({
      k: 'worker',
      ms: nowMs(),
      worker: worker.index,
      pid: worker.pid,
      state: 'exited',
      reason,
      closed,
    });
    process.stderr.write(
      `glassbench sfu: worker ${worker.index} (pid ${worker.pid}) exited (${reason}): ${closed.rooms} room(s), ${closed.publishers} publisher(s), ${closed.subscribers} subscriber(s) ended; restarting it\n`,
    );
  }
}

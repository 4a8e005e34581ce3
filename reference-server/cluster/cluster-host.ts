/**
 * The sessions of a multi-worker SFU (`workers` > 1), held by worker processes behind the HTTP front: rooms are
 * placed on workers (cluster/placement.ts), requests forwarded over IPC, a publisher's packets piped to the other
 * workers that hold some of its subscribers (cluster/pipe.ts), `/metrics`, `/stats` and the telemetry stream
 * gathered from every worker. A worker that dies takes only its own sessions (and the subscribers elsewhere of
 * its publishers); the telemetry says what ended with it, and it is started again.
 */
import type { ServerResponse } from 'node:http';

import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

import { nowMs } from '../../src/metrics/clock.js';
import type { ResourceSampler } from '../../src/metrics/resources.js';
import { HttpError } from '../http-error.js';
import type { CreateRequest, Endpoint, HostCounts, SessionHost } from '../sfu/host.js';
import { resourceSampler, TelemetryStream } from '../sfu/telemetry.js';
import type { SfuOptions } from '../sfu/types.js';
import type { CreateResult, WorkerEvent } from './ipc.js';
import { gatherForwardTimes, gatherMetrics } from './metrics-merge.js';
import { PipeTable } from './pipe-table.js';
import { placeRoom, placeSubscriber } from './placement.js';
import { Worker, workerAt } from './workers.js';

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

const DEFAULT_SUBSCRIBERS_PER_WORKER = 100;

export class ClusterHost implements SessionHost {
  private readonly workers: Worker[];
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly rooms = new Map<string, RoomEntry>();
  private readonly pipes: PipeTable;
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
    this.resources = resourceSampler(this.telemetry);
    const handlers = {
      onEvent: (w: Worker, event: WorkerEvent) => this.onEvent(w, event),
      onReady: (w: Worker) => this.onReady(w),
      onExit: (w: Worker, reason: string) => this.onWorkerExit(w, reason),
    };
    const count = options.workers ?? 1;
    this.workers = Array.from({ length: count }, (_, i) => new Worker(i, options, handlers));
    this.pipes = new PipeTable(this.workers);
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
    const pipe = this.pipes.get(key) ?? this.pipes.open(key, publisher.id, publisher.worker, target);
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
      this.pipes.release(key);
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

  metricsText(): Promise<{ contentType: string; text: string }> {
    return gatherMetrics(this.registry, this.workers);
  }

  rejected(status: number): void {
    this.rejectedCounter.inc({ status: String(status) });
  }

  health(): Record<string, unknown> {
    const tally = this.tally();
    const workers = this.workers.map((w) => {
      const t = tally[w.index] ?? { publishers: 0, subscribers: 0, rooms: new Set<string>() };
      const { publishers, subscribers, rooms } = t;
      const roomIds = [...rooms].sort();
      return {
        index: w.index,
        pid: w.pid,
        ready: w.ready,
        rooms: rooms.size,
        roomIds,
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
      addAudioDelayMs: this.options.addAudioDelayMs ?? 0,
      burnCpuMsPerFrame: this.options.burnCpuMsPerFrame ?? 0,
      rewriteRtp: this.options.rewriteRtp === true,
      workers,
    };
  }

  async stats(): Promise<Record<string, unknown>> {
    return { forwardMs: await gatherForwardTimes(this.workers), ...this.health() };
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
    return workerAt(this.workers, index);
  }

  /** Per worker: the publishers and subscribers it holds, and the rooms of those sessions. */
  private tally(): { publishers: number; subscribers: number; rooms: Set<string> }[] {
    const tally = this.workers.map(() => ({ publishers: 0, subscribers: 0, rooms: new Set<string>() }));
    for (const s of this.sessions.values()) {
      const t = tally[s.worker];
      if (!t) continue;
      if (s.role === 'publisher') t.publishers += 1;
      else t.subscribers += 1;
      t.rooms.add(s.roomId);
    }
    return tally;
  }

  /** What placement weighs: sessions held and being created, rooms held or homed. */
  private loads() {
    const tally = this.tally();
    return this.workers.map((w) => {
      const t = tally[w.index] ?? { publishers: 0, subscribers: 0, rooms: new Set<string>() };
      const rooms = new Set(t.rooms);
      for (const [id, room] of this.rooms) if (room.home === w.index) rooms.add(id);
      const placing = this.placing.filter((p) => p.worker === w.index).length;
      return { index: w.index, ready: w.ready, sessions: t.publishers + t.subscribers + placing, rooms: rooms.size };
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
      if (entry.pipe) this.pipes.release(entry.pipe);
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
    if (session.pipe) this.pipes.release(session.pipe);
    if (session.role === 'publisher') this.pipes.closeOfPublisher(session.id);
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

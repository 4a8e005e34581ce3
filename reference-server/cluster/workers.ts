/**
 * The worker processes of a multi-worker SFU, as the front sees them: each is forked from
 * cluster/worker-main.ts, answers requests over IPC (one reply per request id, or a 503 when it exits or takes too
 * long) and is restarted when it dies, until the front closes.
 */
import { type ChildProcess, fork } from 'node:child_process';

import { childEntry } from '../../src/project-paths.js';
import { HttpError } from '../http-error.js';
import type { SfuOptions } from '../sfu/types.js';
import type { FrontRequestBody, WorkerEvent, WorkerReply, WorkerStart } from './ipc.js';

const START_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5000;
/** what a 503 of a worker that is away says: try again shortly */
const RETRY = { 'retry-after': '1' };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface WorkerHandlers {
  /** unasked messages: a session connected or closed, telemetry */
  onEvent: (worker: Worker, event: WorkerEvent) => void;
  /** the worker is ready (at start and after each restart) */
  onReady: (worker: Worker) => void;
  /** the worker exited while the front was not closing (it is restarted next) */
  onExit: (worker: Worker, reason: string) => void;
}

export class Worker {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private exited: Promise<void> = Promise.resolve();
  ready = false;
  pid = 0;
  pipePort = 0;
  restarts = 0;

  constructor(
    readonly index: number,
    private readonly options: SfuOptions,
    private readonly handlers: WorkerHandlers,
  ) {}

  /** Forks the process and resolves once it is ready (rejects when it fails to start). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const start: WorkerStart = { index: this.index, options: this.options };
      let child: ChildProcess;
      try {
        child = fork(childEntry('reference-server/cluster/worker-main'), [JSON.stringify(start)], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
      } catch (error) {
        reject(error as Error);
        return;
      }
      this.child = child;
      this.pid = child.pid ?? 0;
      this.exited = new Promise((done) => child.once('exit', () => done()));
      // a send to a worker that has just died fails with EPIPE: the exit that follows settles its requests
      child.on('error', () => undefined);
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`SFU worker ${this.index} did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      child.on('message', (message: WorkerEvent | WorkerReply) => {
        if ('ok' in message) return this.onReply(message);
        if (message.event === 'ready') {
          clearTimeout(timer);
          this.pipePort = message.pipePort;
          this.ready = true;
          this.handlers.onReady(this);
          resolve();
        } else this.handlers.onEvent(this, message);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const wasReady = this.ready;
        this.ready = false;
        const reason = signal ? `killed by ${signal}` : `code ${code}`;
        for (const id of [...this.pending.keys()])
          this.settle(
            id,
            new HttpError(503, 'worker_exited', `SFU worker ${this.index} exited (${reason}); try again`, RETRY),
          );
        if (!wasReady) reject(new Error(`SFU worker ${this.index} exited during start-up (${reason})`));
        if (this.closing || !wasReady) return;
        this.handlers.onExit(this, reason);
        void this.restart();
      });
    });
  }

  /** Starts the worker again until it comes up (1 s between tries, doubling to 30 s), or the front closes. */
  private async restart(): Promise<void> {
    let waitMs = 1000;
    while (!this.closing) {
      this.restarts += 1;
      try {
        await this.start();
        return;
      } catch (error) {
        process.stderr.write(`glassbench sfu: ${(error as Error).message}; trying again in ${waitMs / 1000} s\n`);
      }
      await new Promise((r) => setTimeout(r, waitMs).unref());
      waitMs = Math.min(30_000, waitMs * 2);
    }
  }

  /** One request; rejects with an HttpError (the worker's own, or 503 when it exits or does not answer in time). */
  request<T = unknown>(body: FrontRequestBody, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    const child = this.child;
    if (!this.ready || !child?.connected)
      return Promise.reject(
        new HttpError(503, 'worker_unavailable', `SFU worker ${this.index} is restarting; try again`, RETRY),
      );
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.settle(
            id,
            new HttpError(
              503,
              'worker_timeout',
              `SFU worker ${this.index} did not answer ${body.op} within ${timeoutMs} ms`,
              RETRY,
            ),
          ),
        timeoutMs,
      );
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      child.send({ ...body, id }, (error) => {
        if (error)
          this.settle(
            id,
            new HttpError(503, 'worker_unavailable', `SFU worker ${this.index} went away; try again`, RETRY),
          );
      });
    });
  }

  /** Rejects a request in flight (the worker went away, or did not answer in time). */
  private settle(id: number, error: HttpError): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(error);
  }

  /** Asks the worker to close its sessions and exit; kills it if it has not exited in 5 s. */
  async stop(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // a worker still starting (or restarting) cannot be asked yet: without its IPC channel it stops at once, on
    // the disconnect or on SIGTERM (with the channel it would wait for a close, src/child-signals.ts)
    if (this.ready) await this.request({ op: 'close' }).catch(() => undefined);
    else {
      if (child.connected) child.disconnect();
      child.kill('SIGTERM');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  private onReply(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new HttpError(reply.status, reply.code, reply.message, reply.headers ?? {}));
  }
}

/** The worker of that index (an index the front made: one outside the list is a bug, answered 500). */
export function workerAt(workers: Worker[], index: number): Worker {
  const worker = workers[index];
  if (!worker) throw new HttpError(500, 'internal', `no SFU worker ${index}`);
  return worker;
}

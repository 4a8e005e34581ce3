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
    const start: WorkerStart = { index: this.index, options: this.options };
    const child = fork(childEntry('reference-server/cluster/worker-main'), [JSON.stringify(start)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.pid = child.pid ?? 0;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    return new Promise((resolve, reject) => {
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
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new HttpError(503, 'worker_exited', `SFU worker ${this.index} exited (${reason}); try again`));
          this.pending.delete(id);
        }
        if (!wasReady) reject(new Error(`SFU worker ${this.index} exited during start-up (${reason})`));
        if (this.closing || !wasReady) return;
        this.handlers.onExit(this, reason);
        this.restarts += 1;
        this.start().catch((error: unknown) => process.stderr.write(`glassbench sfu: ${(error as Error).message}\n`));
      });
    });
  }

  /** One request; rejects with an HttpError (the worker's own, or 503 when it exits or does not answer). */
  request<T = unknown>(body: FrontRequestBody): Promise<T> {
    const child = this.child;
    if (!this.ready || !child?.connected)
      return Promise.reject(
        new HttpError(503, 'worker_unavailable', `SFU worker ${this.index} is restarting; try again`, {
          'retry-after': '1',
        }),
      );
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new HttpError(
            503,
            'worker_timeout',
            `SFU worker ${this.index} did not answer ${body.op} within ${REQUEST_TIMEOUT_MS} ms`,
          ),
        );
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      child.send({ ...body, id });
    });
  }

  /** Asks the worker to close its sessions and exit; kills it if it has not exited in 5 s. */
  async stop(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // a worker still starting (or restarting) cannot be asked yet: SIGTERM makes it close and exit too
    if (this.ready) await this.request({ op: 'close' }).catch(() => undefined);
    else child.kill('SIGTERM');
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

/**
 * Where stage calls run: on the SFU's devices in process (simulated by the scheduler), or in an external
 * worker process over a Unix domain socket (src/protocol/worker-protocol.ts). The external backend survives
 * its worker: calls in flight when the worker goes away fail (and are counted), calls while it is down fail at
 * once, a call it leaves unanswered fails after `callTimeoutMs`, a worker the SFU started itself is started again
 * and the socket of one it did not is connected to again.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { nowMs } from '../../src/metrics/clock.js';
import { childEntry } from '../../src/project-paths.js';
import type { AiStageSpec, DeviceSpec } from '../../src/protocol/ai.js';
import {
  type CallHeader,
  i420Bytes,
  messageHead,
  MessageReader,
  type ResultHeader,
} from '../../src/protocol/worker-protocol.js';
import type { BufferedFrame } from './frame-buffer.js';
import type { Picture, StageBackend, StageResult } from './pipeline.js';
import type { DeviceScheduler } from './scheduler.js';

export class DeviceBackend implements StageBackend {
  constructor(private readonly scheduler: DeviceScheduler) {}

  async run(_stage: AiStageSpec, _frame: BufferedFrame, modelMs: number): Promise<StageResult> {
    const result = await this.scheduler.run(modelMs);
    return { device: result.device, ms: result.waitMs + result.serviceMs };
  }
}

interface Waiting {
  startMs: number;
  /** `format: i420`: the size of picture the answer must carry */
  pictureBytes?: number;
  resolve: (value: StageResult) => void;
  reject: (error: Error) => void;
}

/**
 * The buffers answers with pictures are gathered into, reused: a picture goes to the encoder's thread and its
 * buffer comes back (`recycle`), so a steady stream of frames allocates none.
 */
class PictureBuffers {
  private readonly free: ArrayBuffer[] = [];

  take(bytes: number): Buffer {
    const i = this.free.findIndex((b) => b.byteLength === bytes);
    const buffer = i >= 0 ? (this.free.splice(i, 1)[0] as ArrayBuffer) : new ArrayBuffer(bytes);
    return Buffer.from(buffer);
  }

  give(buffer: ArrayBuffer): void {
    if (this.free.length < 16) this.free.push(buffer);
  }
}

/** how long a call waits for its answer by default, ms: far over any frame's budget */
const CALL_TIMEOUT_MS = 5000;
/** the longest part of a worker's own error message that is passed on */
const ERROR_CHARS = 300;

export class ExternalBackend implements StageBackend {
  private socket: Socket | undefined;
  private child: ChildProcess | undefined;
  private readonly inFlight = new Map<number, Waiting>();
  private nextId = 1;
  private closed = false;
  /** times the worker went away */
  failures = 0;
  /** times the SFU started its own worker again */
  restarts = 0;
  private readonly socketPath: string;
  private readonly ownWorker: boolean;
  private readonly buffers = new PictureBuffers();

  /**
   * `gpus`: a scheduler over the machine's GPUs; each call then goes to the least loaded GPU, named in its
   * header for the worker to run it there. Without, the worker is one device of its own.
   */
  constructor(
    socketPath: string | undefined,
    private readonly onEvent: (message: string) => void,
    private readonly gpus?: DeviceScheduler,
    /** the reference worker the SFU starts: calls per batch at most */
    private readonly maxBatch?: number,
    /** a call the worker has not answered this long fails (its frame counts as failed), and its slot is free */
    private readonly callTimeoutMs = CALL_TIMEOUT_MS,
  ) {
    this.ownWorker = socketPath === undefined;
    this.socketPath =
      socketPath ?? join(tmpdir(), `glassbench-ai-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  }

  get workerPid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.ownWorker) await this.spawnWorker();
    await this.connectSocket();
  }

  private spawnWorker(): Promise<void> {
    const args = [this.socketPath, ...(this.maxBatch === undefined ? [] : ['--max-batch', String(this.maxBatch)])];
    const child = fork(childEntry('reference-server/ai/external-worker'), args, {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the external AI worker did not start within 10 s')), 10_000);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the external AI worker exited (${signal ?? code}) before it was ready`));
      });
    });
  }

  private connectSocket(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.socketPath);
      const reader = new MessageReader((bytes) => this.buffers.take(bytes));
      socket.once('connect', () => {
        if (this.closed) {
          socket.destroy();
          reject(new Error('the SFU is closing'));
          return;
        }
        this.socket = socket;
        resolve();
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          for (const { header, payload } of reader.push(chunk)) this.settle(header as ResultHeader, payload);
        } catch (error) {
          socket.destroy(error as Error);
        }
      });
      socket.on('error', (error) => {
        if (this.socket !== socket)
          reject(new Error(`cannot reach the external AI worker at ${this.socketPath}: ${error.message}`));
      });
      socket.on('close', () => {
        if (this.socket === socket) this.lost();
      });
    });
  }

  private settle(header: ResultHeader, payload: Buffer): void {
    const waiting = typeof header.id === 'number' ? this.inFlight.get(header.id) : undefined;
    if (!waiting) return; // an answer to a call already failed, or garbage
    this.inFlight.delete(header.id);
    if (header.ok !== true) {
      const error = (header as { error?: unknown }).error;
      const text = typeof error === 'string' ? error : (JSON.stringify(error) ?? 'no error given');
      waiting.reject(
        new Error(`external worker: ${text.length > ERROR_CHARS ? `${text.slice(0, ERROR_CHARS)}...` : text}`),
      );
      return;
    }
    const roundTripMs = nowMs() - waiting.startMs;
    if (waiting.pictureBytes !== undefined && payload.length !== waiting.pictureBytes) {
      waiting.reject(
        new Error(
          `external worker: answered ${payload.length} bytes for a picture of ${waiting.pictureBytes} (planar I420 of the call's size)`,
        ),
      );
      return;
    }
    const result: StageResult = { device: 'external', ms: roundTripMs };
    // what the worker says of itself, where it says it sensibly; the rest of the round trip is the socket's
    const ms = header.ms;
    const waitMs = typeof header.waitMs === 'number' && header.waitMs >= 0 ? header.waitMs : 0;
    if (typeof ms === 'number' && ms >= 0 && ms + waitMs <= roundTripMs + 0.5) {
      result.ms = ms;
      result.transferMs = Math.max(0, roundTripMs - ms - waitMs);
      if (typeof header.waitMs === 'number') result.batchWaitMs = waitMs;
    }
    if (typeof header.batch === 'number' && Number.isInteger(header.batch) && header.batch >= 1)
      result.batch = header.batch;
    if (waiting.pictureBytes !== undefined) result.picture = payload;
    waiting.resolve(result);
  }

  recycle(buffer: ArrayBuffer): void {
    this.buffers.give(buffer);
  }

  /** The connection is gone: fail what was in flight, and bring our own worker back. */
  private lost(): void {
    this.socket = undefined;
    if (this.closed) return;
    this.failures += 1;
    const failed = this.inFlight.size;
    for (const waiting of this.inFlight.values()) waiting.reject(new Error('the external AI worker went away'));
    this.inFlight.clear();
    this.onEvent(`external AI worker went away (${failed} call${failed === 1 ? '' : 's'} in flight failed)`);
    // our own worker is started again; someone else's may be brought back on the same socket by its supervisor
    if (this.ownWorker) this.child?.kill('SIGKILL');
    const bringBack = (): void => {
      if (this.closed) return;
      const back = this.ownWorker ? this.spawnWorker().then(() => this.connectSocket()) : this.connectSocket();
      back
        .then(() => {
          if (!this.ownWorker) return this.onEvent('external AI worker reachable again');
          this.restarts += 1;
          this.onEvent('external AI worker restarted');
        })
        .catch((error: unknown) => {
          // someone else's worker may stay away a while: tried again without a word each time
          if (this.ownWorker)
            this.onEvent(`external AI worker restart failed: ${(error as Error).message}; trying again`);
          setTimeout(bringBack, 500).unref();
        });
    };
    setTimeout(bringBack, 50).unref();
  }

  async run(stage: AiStageSpec, frame: BufferedFrame, modelMs: number, picture?: Picture): Promise<StageResult> {
    if (!this.gpus) return this.call(stage, frame, modelMs, picture);
    const run = await this.gpus.dispatch(modelMs, (device) => this.call(stage, frame, modelMs, picture, device));
    // waiting for a free GPU slot in the SFU is part of the stage's time, as for simulated devices
    return { ...run.result, device: run.device, ms: run.waitMs + run.result.ms };
  }

  private call(
    stage: AiStageSpec,
    frame: BufferedFrame,
    modelMs: number,
    picture?: Picture,
    device?: DeviceSpec,
  ): Promise<StageResult> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('the external AI worker is down'));
    const id = this.nextId;
    this.nextId = (this.nextId % 0xffffffff) + 1;
    const header: CallHeader = {
      id,
      f: frame.key,
      stage: stage.name,
      format: picture ? 'i420' : 'vp8',
      ...(picture ? { width: picture.width, height: picture.height } : {}),
      model: stage.model,
      modelMs,
    };
    if (device) {
      header.device = device.name;
      if (device.gpu !== undefined) header.gpu = device.gpu;
    }
    const payloads = picture ? [picture.data] : frame.packets.map((p) => p.payload);
    const bytes = payloads.reduce((n, p) => n + p.length, 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.inFlight.get(id) !== waiting) return;
        this.inFlight.delete(id);
        waiting.reject(new Error(`external worker: no answer to call ${id} within ${this.callTimeoutMs} ms`));
      }, this.callTimeoutMs);
      timer.unref();
      const waiting: Waiting = {
        startMs: nowMs(),
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      if (picture) waiting.pictureBytes = i420Bytes(picture.width, picture.height);
      this.inFlight.set(id, waiting);
      // the head, then the payload as it is: one writev, no copy of the picture in the SFU
      socket.cork();
      socket.write(messageHead(header, bytes));
      for (const p of payloads) socket.write(p);
      socket.uncork();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.socket?.destroy();
    for (const waiting of this.inFlight.values()) waiting.reject(new Error('the SFU is closing'));
    this.inFlight.clear();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // without its IPC channel it stops at once (with one, a SIGTERM waits for this close: child-signals.ts)
      if (child.connected) child.disconnect();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
  }
}

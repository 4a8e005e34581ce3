/**
 * The front's table of pipes between workers (cluster/pipe.ts carries the packets): one per publisher and
 * worker that holds some of its subscribers, opened at both ends over IPC, counted by its users (subscribers
 * bound to it and those being created), and closed at both ends with its last user or its publisher.
 */
import { HttpError } from '../http-error.js';
import type { PublisherDescription } from './ipc.js';
import { type Worker, workerAt } from './workers.js';

export interface PipeEntry {
  pipeId: number;
  publisherId: string;
  from: number;
  to: number;
  /** subscribers bound to it, and those being created */
  users: number;
  /** resolves once both ends are open; rejects (404 no_stream) when it closed meanwhile */
  ready: Promise<void>;
}

export class PipeTable {
  private readonly pipes = new Map<string, PipeEntry>();
  private nextPipeId = 1;

  constructor(private readonly workers: Worker[]) {}

  get(key: string): PipeEntry | undefined {
    return this.pipes.get(key);
  }

  /** Opens the pipe of `publisherId` (on worker `from`) to worker `to`: the sending end first. */
  open(key: string, publisherId: string, from: number, to: number): PipeEntry {
    const pipeId = this.nextPipeId++;
    const entry: PipeEntry = { pipeId, publisherId, from, to, users: 0, ready: Promise.resolve() };
    const gone = (): HttpError | undefined =>
      this.pipes.get(key) === entry ? undefined : new HttpError(404, 'no_stream', 'the stream closed meanwhile');
    const sender = this.worker(from);
    const receiver = this.worker(to);
    entry.ready = (async () => {
      const description = await sender.request<PublisherDescription>({
        op: 'pipe-out',
        publisherId,
        pipeId,
        port: receiver.pipePort,
      });
      try {
        const closed = gone();
        if (closed) throw closed;
        await receiver.request({ op: 'pipe-in', pipeId, publisherId, port: sender.pipePort, description });
      } catch (error) {
        // the sending end is open: stop it
        if (sender.ready) void sender.request({ op: 'pipe-close', pipeId, direction: 'out' }).catch(() => undefined);
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
  release(key: string): void {
    const pipe = this.pipes.get(key);
    if (!pipe) return;
    pipe.users -= 1;
    if (pipe.users > 0) return;
    this.close(key, pipe);
  }

  /** Closes every pipe of a publisher that has gone. */
  closeOfPublisher(publisherId: string): void {
    for (const [key, pipe] of this.pipes) if (pipe.publisherId === publisherId) this.close(key, pipe);
  }

  private close(key: string, pipe: PipeEntry): void {
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

  private worker(index: number): Worker {
    return workerAt(this.workers, index);
  }
}

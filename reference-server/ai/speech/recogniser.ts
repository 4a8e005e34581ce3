/**
 * A pocketsphinx recogniser that stays up (docs/architecture.md, "Translation chain"): one
 * `pocketsphinx_batch` process per publisher loads the US English model once and then recognises that
 * publisher's utterances one after another, each streamed into it while it is spoken.
 *
 * The batch program reads its control file line by line and, with `-adcin yes`, decodes each line's audio
 * file until end of file, then writes `<text> (<utterance id> <score>)` unbuffered to its `-hyp` file. All
 * three are FIFOs in a private directory: a control line names the one audio FIFO, the chain writes the
 * utterance's 16 kHz PCM into it as frames arrive (pocketsphinx decodes as it reads, 256 ms at a time), and
 * closing it ends the utterance: what is left when the speaker stops is the last chunk and the search's
 * final pass, not a model load. The utterance's own id in the hypothesis line aligns answers with
 * utterances; utterances are served strictly one at a time (the next control line is written after the
 * previous hypothesis), so the FIFO is never shared and the process never waits on a FIFO nobody opens.
 *
 * Every wait is bounded: the process dying fails the utterance it was on with the reason and the next one
 * starts a fresh process; a missing answer kills the process. `close()` kills it, and a process exit of the
 * SFU kills any still running.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { constants, open, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { nowMs } from '../../../src/metrics/clock.js';
import { POCKETSPHINX } from '../../../src/metrics/speech-engines.js';
import { resampleLinear } from './audio.js';
import type { Asr } from './engines.js';

/** the US English acoustic model is trained on 16 kHz audio */
const MODEL_RATE = 16_000;

export interface RecogniserOptions {
  /** from a control line to pocketsphinx opening its audio (the model load, or the previous utterance's end), ms; default 20000 */
  openTimeoutMs: number;
  /** from the end of an utterance's audio to its hypothesis, ms; default 15000 */
  answerTimeoutMs: number;
}
const OPEN_POLL_MS = 5;

const openFd = promisify(open);
const execFileAsync = promisify(execFile);

/** One utterance as it is spoken: audio in, the transcript when it ends. */
export interface AsrStream {
  /** more of the utterance's mono PCM, at the rate the stream began with */
  push(pcm: Int16Array): void;
  /** no more audio: resolves with the transcript */
  end(): Promise<string>;
  /** the utterance was noise: its transcript is not wanted */
  discard(): void;
}

/** A line of the recogniser's `-hyp` output: `<text> (<utterance id> <score>)`; undefined for anything else. */
export function parseHypothesis(line: string): { id: string; text: string; score: number } | undefined {
  const match = /^(.*?) ?\((\S+) (-?\d+)\)\s*$/.exec(line);
  if (!match) return undefined;
  return { text: (match[1] as string).trim(), id: match[2] as string, score: Number(match[3]) };
}

interface Job {
  id: string;
  rate: number;
  /** 16 kHz PCM not yet written (the process is not reading this utterance yet) */
  pending: Buffer[];
  ended: boolean;
  discarded: boolean;
  writer?: Socket;
  /** the process reading it, once it does */
  proc?: Proc;
  timer?: NodeJS.Timeout;
  resolve: (text: string) => void;
  reject: (error: Error) => void;
}

interface Proc {
  child: ChildProcess;
  dir: string;
  ctl: Socket;
  hyp: Socket;
  stderr: string;
  exited: boolean;
}

/** every recogniser process alive in this process and its directory, killed and removed if it exits without closing them */
const alive = new Map<ChildProcess, string>();
let exitHook = false;

export class PocketsphinxAsr implements Asr {
  readonly name = 'pocketsphinx';
  private readonly queue: Job[] = [];
  private proc: Proc | undefined;
  private starting: Promise<Proc> | undefined;
  private count = 0;
  private closed = false;
  private pumping = false;
  private readonly options: RecogniserOptions;

  constructor(options: Partial<RecogniserOptions> = {}) {
    this.options = { openTimeoutMs: 20_000, answerTimeoutMs: 15_000, ...options };
  }

  /** the running process's pid (undefined before the first utterance and after close) */
  get pid(): number | undefined {
    return this.proc?.exited === false ? this.proc.child.pid : undefined;
  }

  begin(sampleRate: number): AsrStream {
    this.count += 1;
    let resolve!: (text: string) => void;
    let reject!: (error: Error) => void;
    const done = new Promise<string>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => undefined); // a discarded utterance's answer is nobody's
    const job: Job = {
      id: `u${this.count}`,
      rate: sampleRate,
      pending: [],
      ended: false,
      discarded: false,
      resolve,
      reject,
    };
    if (this.closed) job.reject(new Error('pocketsphinx: the recogniser is closed'));
    else {
      this.queue.push(job);
      void this.pump();
    }
    return {
      push: (pcm) => this.write(job, pcm),
      end: () => {
        this.finish(job);
        return done;
      },
      discard: () => {
        job.discarded = true;
        // not started yet: dropped; started (its control line may be written): it runs, its answer is ignored
        const i = this.queue.indexOf(job);
        if (i > 0) this.queue.splice(i, 1);
        else this.finish(job);
      },
    };
  }

  /** The whole utterance at once (the same process and path as a streamed one). */
  recognise(pcm: Int16Array, sampleRate: number): Promise<string> {
    const stream = this.begin(sampleRate);
    stream.push(pcm);
    return stream.end();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) this.fail(job, new Error('pocketsphinx: the recogniser closed'));
    if (this.proc) this.stop(this.proc, true);
    else void this.starting?.then((p) => this.stop(p, true)).catch(() => undefined);
  }

  /** Holds the SFU's event loop open while an answer is awaited, not while the recogniser idles. */
  private holdOpen(): void {
    if (!this.proc) return;
    if (this.queue.length > 0) this.proc.hyp.ref();
    else this.proc.hyp.unref();
  }

  private write(job: Job, pcm: Int16Array): void {
    if (job.ended || pcm.length === 0) return;
    const at16k = resampleLinear(pcm, job.rate, MODEL_RATE);
    const bytes = Buffer.from(at16k.buffer, at16k.byteOffset, at16k.byteLength);
    if (job.writer) job.writer.write(bytes);
    else job.pending.push(Buffer.from(bytes));
  }

  private finish(job: Job): void {
    if (job.ended) return;
    job.ended = true;
    if (job.writer) this.endAudio(job);
  }

  private endAudio(job: Job): void {
    job.writer?.end();
    job.timer = setTimeout(() => {
      const ms = this.options.answerTimeoutMs;
      this.fail(job, new Error(`pocketsphinx gave no answer within ${ms} ms of the end of utterance ${job.id}`));
      if (job.proc) this.stop(job.proc); // wedged: the next utterance starts a fresh one
    }, this.options.answerTimeoutMs);
  }

  /** Starts the utterance at the head of the queue once the one before it has its answer. */
  private async pump(): Promise<void> {
    if (this.pumping || this.closed) return;
    const job = this.queue[0];
    if (!job || job.writer) return;
    this.pumping = true;
    try {
      const proc = this.proc ?? (await this.start());
      if (this.closed || this.queue[0] !== job) return;
      this.holdOpen();
      proc.ctl.write(`audio 0 -1 ${job.id}\n`);
      job.writer = await this.openAudio(proc, job);
      job.proc = proc;
      job.writer.on('error', () => undefined); // EPIPE when the process died: its exit reports why
      for (const chunk of job.pending.splice(0)) job.writer.write(chunk);
      if (job.ended) this.endAudio(job);
    } catch (error) {
      this.fail(job, error as Error);
    } finally {
      this.pumping = false;
    }
    if (this.queue[0] !== job) void this.pump();
  }

  /** The audio FIFO opened for writing once pocketsphinx opened it for reading (ENXIO until then). */
  private async openAudio(proc: Proc, job: Job): Promise<Socket> {
    const deadline = nowMs() + this.options.openTimeoutMs;
    for (;;) {
      if (proc.exited || this.proc !== proc || this.queue[0] !== job)
        throw new Error(`pocketsphinx exited before utterance ${job.id}`);
      try {
        const fd = await openFd(join(proc.dir, 'audio'), constants.O_WRONLY | constants.O_NONBLOCK);
        return new Socket({ fd, readable: false, writable: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
      }
      if (nowMs() > deadline) {
        this.stop(proc);
        throw new Error(`pocketsphinx did not read utterance ${job.id} within ${this.options.openTimeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, OPEN_POLL_MS));
    }
  }

  private start(): Promise<Proc> {
    this.starting ??= this.spawnProc().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async spawnProc(): Promise<Proc> {
    const dir = await mkdtemp(join(tmpdir(), 'glassbench-asr-'));
    try {
      await execFileAsync('mkfifo', [join(dir, 'ctl'), join(dir, 'hyp'), join(dir, 'audio')]);
      // opened read-write: neither open waits for the other end, and neither end sees EOF while we hold it
      const ctl = new Socket({ fd: await openFd(join(dir, 'ctl'), 'r+'), readable: false, writable: true });
      const hyp = new Socket({ fd: await openFd(join(dir, 'hyp'), 'r+'), readable: true, writable: false });
      const args = ['-ctl', join(dir, 'ctl'), '-hyp', join(dir, 'hyp'), '-adcin', 'yes', '-cepdir', dir, '-cepext', ''];
      // no flat-lexicon second pass: it can only run once the utterance has ended, over all of it (on the
      // known utterances, streamed: 290 ms median from the end to the answer with it, 42 ms without, mean
      // word error rate 46% and 45%); the tree search and the lattice's best path stay
      args.push('-fwdflat', 'no');
      const child = spawn(POCKETSPHINX, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const proc: Proc = { child, dir, ctl, hyp, stderr: '', exited: false };
      this.proc = proc;
      alive.set(child, dir);
      if (!exitHook) {
        exitHook = true;
        process.once('exit', () => {
          for (const [c, d] of alive) {
            c.kill('SIGKILL');
            rmSync(d, { recursive: true, force: true });
          }
        });
      }
      child.unref();
      child.stderr?.on('data', (chunk: Buffer) => {
        // the log is long (the model load); the last lines say why it stopped
        proc.stderr = (proc.stderr + chunk.toString()).slice(-4096);
      });
      (child.stderr as Socket | null)?.unref();
      ctl.unref();
      hyp.unref();
      let buffered = '';
      hyp.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
          this.answer(buffered.slice(0, i));
          buffered = buffered.slice(i + 1);
        }
      });
      child.once('error', (error) => this.exited(proc, error.message));
      child.once('exit', (code, signal) => this.exited(proc, signal ? `signal ${signal}` : `code ${code}`));
      return proc;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`pocketsphinx: cannot start: ${(error as Error).message}`, { cause: error });
    }
  }

  private answer(line: string): void {
    const hypothesis = parseHypothesis(line);
    const job = this.queue[0];
    if (!hypothesis || !job || hypothesis.id !== job.id) return;
    this.queue.shift();
    clearTimeout(job.timer);
    if (!job.discarded) job.resolve(hypothesis.text);
    this.holdOpen();
    void this.pump();
  }

  private fail(job: Job, error: Error): void {
    clearTimeout(job.timer);
    job.writer?.destroy();
    const i = this.queue.indexOf(job);
    if (i >= 0) this.queue.splice(i, 1);
    job.reject(error);
  }

  private exited(proc: Proc, how: string): void {
    if (proc.exited) return;
    proc.exited = true;
    alive.delete(proc.child);
    if (this.proc === proc) this.proc = undefined;
    proc.ctl.destroy();
    proc.hyp.destroy();
    void rm(proc.dir, { recursive: true, force: true });
    const job = this.queue[0];
    if (job?.proc === proc && !this.closed) {
      const last = proc.stderr
        .split('\n')
        .filter((l) => /^(ERROR|FATAL)/.test(l))
        .slice(-2)
        .join(' ');
      this.fail(job, new Error(`pocketsphinx exited (${how}) during utterance ${job.id}${last ? `: ${last}` : ''}`));
    }
    void this.pump();
  }

  /**
   * Kills `proc`; the next utterance starts a fresh process at once, not waiting for this one's exit. On close
   * its directory goes at once too: the SFU (or a test) may exit before the exit is reported.
   */
  private stop(proc: Proc, closing = false): void {
    if (this.proc === proc) this.proc = undefined;
    if (!proc.exited) proc.child.kill('SIGKILL');
    if (closing) rmSync(proc.dir, { recursive: true, force: true });
  }
}

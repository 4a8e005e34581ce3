/**
 * The translation chain's engines (docs/architecture.md): speech recognition (pocketsphinx, US English
 * model, one process per publisher kept running: recogniser.ts), machine translation (apertium, English -> Spanish) and speech synthesis (espeak-ng), all Debian
 * packages run as child processes, plus synthetic stand-ins with the same interface (a fixed time each) for
 * capacity planning without the engines' cost. Each call is bounded in time; which engines are installed is
 * src/metrics/speech-engines.ts (the harness checks it before it starts the SFU).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { APERTIUM, ESPEAK } from '../../../src/metrics/speech-engines.js';
import { preciseSleep } from '../scheduler.js';
import { wavBytes } from './audio.js';
import type { AsrStream } from './recogniser.js';

export { PocketsphinxAsr } from './recogniser.js';

export interface Asr {
  readonly name: string;
  /** text recognised in mono PCM at `sampleRate` */
  recognise(pcm: Int16Array, sampleRate: number): Promise<string>;
  /** an utterance streamed in as it is spoken; an engine without it is given the whole utterance at its end */
  begin?(sampleRate: number): AsrStream;
  /** stops what the engine keeps running (a recogniser process); idempotent */
  close?(): void;
}

export interface Mt {
  readonly name: string;
  translate(text: string): Promise<string>;
}

export interface Tts {
  readonly name: string;
  /** a WAV of `text` spoken; `onFirstAudio` fires when its first bytes exist (time to first audio) */
  synthesise(text: string, onFirstAudio: () => void): Promise<Buffer>;
}

const CALL_TIMEOUT_MS = 30_000;

/** Runs a command with `input` on stdin; resolves with stdout, calling `onFirstOutput` at its first bytes. */
function run(command: string, args: string[], input: string | undefined, onFirstOutput?: () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let first = true;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} took longer than ${CALL_TIMEOUT_MS} ms`));
    }, CALL_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        onFirstOutput?.();
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 4096) err += chunk.toString();
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${error.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${command} exited with ${code}: ${err.trim().split('\n').slice(-2).join(' ')}`));
    });
    child.stdin.on('error', () => undefined); // a command that exits early: its close reports why
    child.stdin.end(input ?? '');
  });
}

export class ApertiumMt implements Mt {
  readonly name = 'apertium';

  constructor(private readonly pair = 'eng-spa') {}

  async translate(text: string): Promise<string> {
    if (text.trim() === '') return '';
    // apertium's text reader opens its input by name, and Node's child stdin is a socket, not a file it can
    // open as /dev/stdin: so the text goes through a temporary file (one line: apertium translates lines)
    const dir = await mkdtemp(join(tmpdir(), 'glassbench-mt-'));
    try {
      const path = join(dir, 'text.txt');
      await writeFile(path, `${text.replace(/\s+/g, ' ').trim()}\n`);
      return (await run(APERTIUM, [this.pair, path], undefined)).toString('utf8').trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

export class EspeakTts implements Tts {
  readonly name = 'espeak-ng';

  constructor(private readonly voice = 'es') {}

  synthesise(text: string, onFirstAudio: () => void): Promise<Buffer> {
    return run(ESPEAK, ['-v', this.voice, '--stdout', text], undefined, onFirstAudio);
  }
}

/** Stand-ins: the same calls, a fixed time each, no engine (capacity planning, machines without the packages). */
export class SyntheticAsr implements Asr {
  readonly name = 'synthetic';

  constructor(
    private readonly ms: number,
    private readonly text = 'synthetic transcript',
  ) {}

  async recognise(): Promise<string> {
    await preciseSleep(this.ms);
    return this.text;
  }
}

export class SyntheticMt implements Mt {
  readonly name = 'synthetic';

  constructor(private readonly ms: number) {}

  async translate(text: string): Promise<string> {
    await preciseSleep(this.ms);
    return `[es] ${text}`;
  }
}

export class SyntheticTts implements Tts {
  readonly name = 'synthetic';

  constructor(private readonly ms: number) {}

  async synthesise(text: string, onFirstAudio: () => void): Promise<Buffer> {
    await preciseSleep(this.ms);
    onFirstAudio();
    // an audible stand-in voice, 250 ms of a 220 Hz tone (-23 dBFS) per word, so that translated speech
    // (option B) has a length of the right order and receivers hear it start
    const rate = 16_000;
    const pcm = new Int16Array(Math.max(1, text.split(/\s+/).length) * (rate / 4));
    for (let i = 0; i < pcm.length; i += 1) pcm[i] = Math.round(3277 * Math.sin((2 * Math.PI * 220 * i) / rate));
    return wavBytes(pcm, rate);
  }
}

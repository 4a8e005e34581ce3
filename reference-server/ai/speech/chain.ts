/**
 * The translation chain of one publisher's audio (docs/architecture.md): Opus packets are decoded to PCM, cut
 * into utterances by voice activity, and each utterance goes through ASR -> MT -> TTS, one at a time (later
 * ones wait). The translation goes to every subscriber as a subtitle as soon as it exists (option A), and the
 * synthesised speech, when asked for, replaces the publisher's audio (option B, voice.ts). Every step is
 * reported with its time.
 */
import { OPUS_RATE, OpusDecoder } from '../../../src/media/opus.js';
import { nowMs } from '../../../src/metrics/clock.js';
import type { SpeechRecord, VoiceRecord } from '../../../src/protocol/ai.js';
import type { Asr, Mt, Tts } from './engines.js';
import type { AsrStream } from './recogniser.js';
import { type Utterance, VoiceActivity } from './vad.js';

/** an utterance waiting for the chain, with its transcript on the way when the recogniser heard it streamed */
interface Waiting {
  utterance: Utterance;
  transcript?: Promise<string>;
}

function toInt16(pcm: Float32Array): Int16Array {
  return Int16Array.from(pcm, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
}

export interface Engines {
  asr: Asr;
  mt: Mt;
  tts: Tts;
}

export interface SpeechChainOptions {
  /** the publisher session whose audio this is (`pub` of the records) */
  publisher: string;
  engines: Engines;
  /** option A: a translation to send to the subscribers as a subtitle (`n`: the utterance's number, from 1) */
  onSubtitle: (n: number, text: string, translation: string) => void;
  /** telemetry: what the chain did with an utterance, and when its translated speech began to play */
  onRecord: (record: SpeechRecord | VoiceRecord) => void;
  /** option B: plays the synthesised WAV; resolves when its first packet went out, ms; default none (no speech) */
  onSpeech?: (wav: Buffer) => Promise<number | undefined>;
}

export class SpeechChain {
  private readonly publisher: string;
  private readonly engines: Engines;
  private readonly onSubtitle: SpeechChainOptions['onSubtitle'];
  private readonly onRecord: SpeechChainOptions['onRecord'];
  private readonly onSpeech: SpeechChainOptions['onSpeech'];
  private readonly decoder = new OpusDecoder();
  private readonly vad: VoiceActivity;
  private readonly waiting: Waiting[] = [];
  /** the open utterance as the recogniser hears it (an engine that streams) */
  private stream: AsrStream | undefined;
  private busy = false;
  private closed = false;
  private count = 0;
  private readonly timer: NodeJS.Timeout;
  /** decoding is asynchronous: packets are decoded in arrival order, one after another */
  private decoding: Promise<void> = Promise.resolve();

  constructor(options: SpeechChainOptions) {
    this.publisher = options.publisher;
    this.engines = options.engines;
    this.onSubtitle = options.onSubtitle;
    this.onRecord = options.onRecord;
    this.onSpeech = options.onSpeech;
    const asr = this.engines.asr;
    // a streaming recogniser hears each utterance while it is spoken; when the speaker stops, its last
    // chunk and final pass are all that is left to do
    const begin = asr.begin?.bind(asr);
    this.vad = new VoiceActivity(
      (u) => this.enqueue(u),
      {},
      OPUS_RATE,
      begin && {
        onStart: () => {
          this.stream = begin(OPUS_RATE);
        },
        onAudio: (pcm) => this.stream?.push(toInt16(pcm)),
        onDiscard: () => {
          this.stream?.discard();
          this.stream = undefined;
        },
      },
    );
    this.timer = setInterval(() => {
      // after the packets decoded so far, so an utterance is not closed ahead of its own last frames
      this.decoding = this.decoding.then(() => this.vad.tick(nowMs()));
    }, 100);
    this.timer.unref();
  }

  /** One Opus RTP payload that arrived at `arrivalMs`. */
  push(payload: Buffer, arrivalMs: number): void {
    if (this.closed) return;
    this.decoding = this.decoding
      .then(async () => {
        const pcm = await this.decoder.decode(payload);
        if (pcm) this.vad.push(pcm, arrivalMs);
      })
      .catch(() => undefined); // an undecodable packet is skipped, as a receiver would conceal it
  }

  private enqueue(utterance: Utterance): void {
    const transcript = this.stream?.end();
    this.stream = undefined;
    this.waiting.push(transcript ? { utterance, transcript } : { utterance });
    void this.next();
  }

  private async next(): Promise<void> {
    if (this.busy || this.closed) return;
    const item = this.waiting.shift();
    if (!item) return;
    const { utterance } = item;
    this.busy = true;
    this.count += 1;
    const record: SpeechRecord = {
      k: 'speech',
      pub: this.publisher,
      n: this.count,
      speechStartMs: utterance.startMs,
      speechEndMs: utterance.endMs,
    };
    try {
      record.text = await (item.transcript ?? this.engines.asr.recognise(toInt16(utterance.pcm), utterance.sampleRate));
      record.asrDoneMs = nowMs();
      record.translation = await this.engines.mt.translate(record.text);
      record.mtDoneMs = nowMs();
      this.onSubtitle(record.n, record.text, record.translation);
      if (record.translation !== '') {
        const wav = await this.engines.tts.synthesise(record.translation, () => {
          record.ttsFirstAudioMs = nowMs();
        });
        // option B: it plays after what is playing; when it starts is a record of its own
        void this.onSpeech?.(wav).then((ms) => {
          if (ms !== undefined && !this.closed) this.onRecord({ k: 'voice', pub: this.publisher, n: record.n, ms });
        });
      }
    } catch (error) {
      record.error = (error as Error).message;
    } finally {
      this.busy = false;
    }
    if (!this.closed) this.onRecord(record);
    void this.next();
  }

  close(): void {
    clearInterval(this.timer);
    this.closed = true;
    this.waiting.length = 0;
    this.stream?.discard();
    this.stream = undefined;
    this.engines.asr.close?.();
    void this.decoding.then(() => this.decoder.close());
  }
}

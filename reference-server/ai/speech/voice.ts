/**
 * Translated speech replacing a publisher's audio track (docs/architecture.md, option B): the SFU sends its
 * own Opus stream in the publisher's place, one 20 ms packet every 20 ms, carrying silence until a translation
 * is synthesised and then the synthesised speech (utterances queue behind each other). Subscribers hear the
 * translation instead of the speaker; when they hear it start is `s2s_latency_ms`. Translations that queue up
 * are separated by a pause, as a speaker pauses between sentences, long enough that a receiver can tell where
 * the next one begins (longer than the silence an onset needs, src/media/audio-onset.ts).
 */
import { randomInt } from 'node:crypto';

import { RtpHeader, RtpPacket } from 'werift';

import { ONSET_MIN_SILENCE_MS } from '../../../src/media/audio-onset.js';
import { OPUS_FRAME_SAMPLES, OPUS_RATE, OpusEncoder } from '../../../src/media/opus.js';
import { nowMs } from '../../../src/metrics/clock.js';
import { parseWav, resampleLinear } from './audio.js';

const FRAME_MS = (OPUS_FRAME_SAMPLES / OPUS_RATE) * 1000;
/** Opus's dynamic payload type in werift's and Chromium's offers (the sender rewrites it to the negotiated one) */
const OPUS_PAYLOAD_TYPE = 111;
/** further behind than this (a stalled event loop), the pacer skips ahead instead of sending a burst */
const MAX_BEHIND_FRAMES = 10;
/** silence after each translation before the next may start */
const PAUSE_FRAMES = Math.ceil((ONSET_MIN_SILENCE_MS + 100) / FRAME_MS);

interface Speech {
  pcm: Float32Array;
  offset: number;
  started: (ms: number | undefined) => void;
}

export class TranslatedVoice {
  private readonly encoder = new OpusEncoder();
  private readonly queue: Speech[] = [];
  private readonly startMs = nowMs();
  private frames = 0;
  /** no speech before this frame number (the pause after the previous translation) */
  private quietUntil = 0;
  private sequenceNumber = randomInt(0, 0x10000);
  private timestamp = randomInt(0, 0x100000000);
  private busy = false;
  private closed = false;
  /** consecutive silent frames encoded; after a few the encoder's silence packet is reused instead of encoding */
  private silentRun = 0;
  private silencePacket: Uint8Array | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly send: (rtp: RtpPacket) => void,
    private readonly onError: (message: string) => void,
  ) {
    this.timer = setInterval(() => {
      this.pace().catch((error: unknown) => {
        if (!this.closed) this.onError(`translated speech: ${(error as Error).message}`);
      });
    }, FRAME_MS / 2);
    this.timer.unref();
  }

  /**
   * Queues the synthesised speech (a WAV) to play after whatever is playing; resolves with the time its first
   * packet went out (undefined when the voice closed first).
   */
  say(wav: Buffer): Promise<number | undefined> {
    const { pcm, sampleRate } = parseWav(wav);
    const resampled = resampleLinear(pcm, sampleRate, OPUS_RATE);
    const float = Float32Array.from(resampled, (v) => v / 32768);
    return new Promise((resolve) => {
      if (this.closed || float.length === 0) resolve(undefined);
      else this.queue.push({ pcm: float, offset: 0, started: resolve });
    });
  }

  /** Sends every frame that is due; one pass at a time (encoding is asynchronous). */
  private async pace(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      let due = Math.floor((nowMs() - this.startMs) / FRAME_MS) + 1 - this.frames;
      if (due > MAX_BEHIND_FRAMES) {
        const skipped = due - 1;
        this.frames += skipped;
        this.timestamp = (this.timestamp + skipped * OPUS_FRAME_SAMPLES) >>> 0;
        due = 1;
      }
      for (; due > 0 && !this.closed; due -= 1) await this.sendFrame();
    } finally {
      this.busy = false;
    }
  }

  private async sendFrame(): Promise<void> {
    const speech = this.frames >= this.quietUntil ? this.queue[0] : undefined;
    const pcm = new Float32Array(OPUS_FRAME_SAMPLES);
    let first = false;
    if (speech) {
      first = speech.offset === 0;
      const part = speech.pcm.subarray(speech.offset, speech.offset + OPUS_FRAME_SAMPLES);
      pcm.set(part);
      speech.offset += part.length;
      if (speech.offset >= speech.pcm.length) {
        this.queue.shift();
        this.quietUntil = this.frames + 1 + PAUSE_FRAMES;
      }
    }
    let payloads: Uint8Array[];
    if (!speech && this.silentRun >= 5 && this.silencePacket) payloads = [this.silencePacket];
    else {
      payloads = await this.encoder.encode(pcm);
      this.silentRun = speech ? 0 : this.silentRun + 1;
      if (this.silentRun >= 5 && payloads.length === 1) this.silencePacket = payloads[0];
    }
    if (this.closed) return;
    for (const payload of payloads) {
      // the marker bit starts a talkspurt (RFC 3551 section 4.1)
      const header = new RtpHeader({
        payloadType: OPUS_PAYLOAD_TYPE,
        sequenceNumber: this.sequenceNumber,
        timestamp: this.timestamp,
        marker: first,
      });
      this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
      const sentMs = nowMs();
      this.send(new RtpPacket(header, Buffer.from(payload)));
      if (first) speech?.started(sentMs);
    }
    this.frames += 1;
    this.timestamp = (this.timestamp + OPUS_FRAME_SAMPLES) >>> 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const speech of this.queue) if (speech.offset === 0) speech.started(undefined);
    this.queue.length = 0;
    void this.encoder.close().catch(() => undefined);
  }
}

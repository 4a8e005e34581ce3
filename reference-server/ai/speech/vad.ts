/**
 * Energy voice-activity detection: cuts a stream of 20 ms PCM frames into utterances. A frame is speech when
 * its RMS is over the threshold; an utterance starts at the first speech frame and ends after `hangoverMs` of
 * silence. Its end is when its last speech frame arrived: the moment the SFU could know the speaker had
 * stopped, before the hangover confirmed it. Silence is measured on the arrival clock, not by counting
 * frames: a sender with DTX (Chromium's Opus) sends almost nothing while nobody speaks, so `tick()` closes an
 * utterance whose stream went quiet. A streaming recogniser hears the utterance as it is spoken
 * (`VadStream`): exactly the audio the closed utterance will hold, each frame once a later speech frame
 * showed it is not the trailing silence.
 */
export interface Utterance {
  /** mono PCM, the utterance's frames from first to last speech frame */
  pcm: Float32Array;
  sampleRate: number;
  startMs: number;
  endMs: number;
}

export interface VadOptions {
  /** RMS (full scale 1.0) above which a frame is speech; default 0.01 (-40 dBFS) */
  threshold: number;
  /** silence that ends an utterance, ms; default 500 */
  hangoverMs: number;
  /** utterances shorter than this are noise, ms; default 200 */
  minSpeechMs: number;
  /** an utterance is cut at this length, ms; default 15000 */
  maxSpeechMs: number;
}

/** An utterance as it is spoken, for a streaming recogniser. */
export interface VadStream {
  /** an utterance began (its first speech frame arrived at `startMs`) */
  onStart(startMs: number): void;
  /** the open utterance's next audio, in order: its speech frames and the pauses between them */
  onAudio(pcm: Float32Array): void;
  /** the open utterance ended shorter than `minSpeechMs`: noise, not an utterance */
  onDiscard(): void;
}

export class VoiceActivity {
  private frames: Float32Array[] = [];
  private speechMs = 0;
  private silenceMs = 0;
  private startMs = 0;
  private lastSpeechEndMs = 0;
  /** frames of the open utterance already given to the stream */
  private streamed = 0;
  private readonly options: VadOptions;

  constructor(
    private readonly onUtterance: (utterance: Utterance) => void,
    options: Partial<VadOptions> = {},
    private readonly sampleRate = 48_000,
    private readonly stream?: VadStream,
  ) {
    this.options = { threshold: 0.01, hangoverMs: 500, minSpeechMs: 200, maxSpeechMs: 15_000, ...options };
  }

  /** One frame of mono PCM that arrived at `arrivalMs`. */
  push(pcm: Float32Array, arrivalMs: number): void {
    const durationMs = (pcm.length / this.sampleRate) * 1000;
    let sum = 0;
    for (let i = 0; i < pcm.length; i += 1) sum += (pcm[i] as number) * (pcm[i] as number);
    const speech = pcm.length > 0 && Math.sqrt(sum / pcm.length) > this.options.threshold;
    if (speech) {
      if (this.frames.length === 0) {
        this.startMs = arrivalMs;
        this.streamed = 0;
        this.stream?.onStart(arrivalMs);
      }
      this.frames.push(pcm);
      if (this.stream)
        for (; this.streamed < this.frames.length; this.streamed += 1)
          this.stream.onAudio(this.frames[this.streamed] as Float32Array);
      this.speechMs += durationMs + this.silenceMs;
      this.silenceMs = 0;
      this.lastSpeechEndMs = arrivalMs;
      if (this.speechMs >= this.options.maxSpeechMs) this.close();
      return;
    }
    if (this.frames.length === 0) return;
    this.frames.push(pcm); // pauses inside an utterance belong to it
    this.silenceMs += durationMs;
    this.tick(arrivalMs);
  }

  /** Closes the open utterance once `hangoverMs` passed since its last speech frame arrived. */
  tick(nowMs: number): void {
    if (this.frames.length > 0 && nowMs - this.lastSpeechEndMs >= this.options.hangoverMs) this.close();
  }

  private close(): void {
    // drop the trailing silence frames
    const silenceFrames = Math.min(this.frames.length, Math.round(this.silenceMs / 20));
    const frames = this.frames.slice(0, Math.max(0, this.frames.length - silenceFrames));
    const speechMs = this.speechMs;
    this.frames = [];
    this.speechMs = 0;
    this.silenceMs = 0;
    if (speechMs < this.options.minSpeechMs) {
      this.stream?.onDiscard();
      return;
    }
    const length = frames.reduce((n, f) => n + f.length, 0);
    const pcm = new Float32Array(length);
    let offset = 0;
    for (const f of frames) {
      pcm.set(f, offset);
      offset += f.length;
    }
    this.onUtterance({ pcm, sampleRate: this.sampleRate, startMs: this.startMs, endMs: this.lastSpeechEndMs });
  }
}

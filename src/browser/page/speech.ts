/**
 * The publisher's spoken-audio track: known utterances (WAV made with espeak-ng) played one after another
 * through Web Audio into a MediaStream track, each at a known wall-clock time. The output timestamp of the
 * AudioContext maps its clock to the page's, so start and end are on the one clock (docs/architecture.md).
 */
import { pageTimeToMs } from './clock.js';
import type { PageUtterance } from './types.js';

export class SpeechSource {
  private readonly ctx = new AudioContext({ sampleRate: 48000 });
  private readonly destination = this.ctx.createMediaStreamDestination();
  private readonly buffers: { id: string; buffer: AudioBuffer }[] = [];
  private timer: number | undefined;
  private next = 0;

  constructor(
    private readonly utterances: { id: string; url: string }[],
    private readonly intervalMs: number,
    private readonly out: PageUtterance[],
  ) {}

  get track(): MediaStreamTrack {
    return this.destination.stream.getAudioTracks()[0] as MediaStreamTrack;
  }

  async load(): Promise<void> {
    await this.ctx.resume();
    for (const u of this.utterances) {
      const bytes = await (await fetch(u.url)).arrayBuffer();
      this.buffers.push({ id: u.id, buffer: await this.ctx.decodeAudioData(bytes) });
    }
  }

  start(): void {
    const play = (): void => {
      const item = this.buffers[this.next % this.buffers.length];
      this.next += 1;
      if (item) {
        const source = this.ctx.createBufferSource();
        source.buffer = item.buffer;
        source.connect(this.destination);
        const startAt = this.ctx.currentTime + 0.05;
        source.start(startAt);
        const stamp = this.ctx.getOutputTimestamp();
        const startMs = pageTimeToMs((stamp.performanceTime ?? 0) + (startAt - (stamp.contextTime ?? 0)) * 1000);
        this.out.push({ id: item.id, startMs, endMs: startMs + item.buffer.duration * 1000 });
      }
      this.timer = window.setTimeout(play, this.intervalMs);
    };
    play();
  }

  stop(): void {
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    void this.ctx.close();
  }
}

/**
 * A/V sync markers at a browser receiver, found at receipt: each encoded audio frame (Opus) that the receive
 * transform passes on is also decoded with WebCodecs, and a burst's onset is the frame's receive time plus the onset
 * sample's offset in it, as at synthetic receivers. (Taking the decoded audio as it reaches the page, after the
 * jitter buffer, was tried first: headless Chromium plays it out on a fake output device whose clock, on a busy
 * machine, ran some 5% slow, so the audio drifted later by about 45 ms a second.)
 */
import { MarkerDetector } from '../../media/av-marker.js';
import type { PageAvMarker } from './types.js';

export class ReceivedAudioMarkers {
  private readonly decoder: AudioDecoder;
  private readonly detector: MarkerDetector;
  /** receive time of each frame in the decoder, by the chunk timestamp it was given */
  private readonly arrivals = new Map<number, number>();
  private next = 0;
  private pcm = new Float32Array(0);

  constructor(markers: PageAvMarker[], onError: (message: string) => void) {
    this.detector = new MarkerDetector(({ ms, id }) => markers.push(id === undefined ? { ms } : { ms, id }));
    this.decoder = new AudioDecoder({
      output: (data) => this.onDecoded(data),
      error: (error) => onError(`audio marker decoder: ${String(error)}`),
    });
    this.decoder.configure({ codec: 'opus', sampleRate: 48_000, numberOfChannels: 2 });
  }

  /** One encoded Opus frame (its payload, copied) that arrived at `arrivalMs`. */
  push(payload: ArrayBuffer, arrivalMs: number): void {
    if (this.decoder.state !== 'configured') return;
    const timestamp = this.next;
    this.next += 20_000; // a running count, µs: only names the chunk
    this.arrivals.set(timestamp, arrivalMs);
    if (this.arrivals.size > 200) this.arrivals.delete(this.arrivals.keys().next().value as number);
    this.decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp, data: payload }));
  }

  private onDecoded(data: AudioData): void {
    try {
      const arrivalMs = this.arrivals.get(data.timestamp);
      if (arrivalMs === undefined) return;
      this.arrivals.delete(data.timestamp);
      if (this.pcm.length !== data.numberOfFrames) this.pcm = new Float32Array(data.numberOfFrames);
      data.copyTo(this.pcm, { planeIndex: 0, format: 'f32-planar' });
      this.detector.push(this.pcm, arrivalMs, data.sampleRate);
    } finally {
      data.close();
    }
  }

  close(): void {
    if (this.decoder.state !== 'closed') this.decoder.close();
  }
}

/**
 * The browser publisher's audio track for A/V sync (`audio: { sync: true }`): the marker track of av-marker.ts
 * written as 10 ms AudioData blocks into a MediaStreamTrackGenerator on the video timetable's clock (sample 0 is
 * the capture time of video frame 0). A block is written once its 10 ms have passed on the page clock, as a
 * microphone's would be captured. (Web Audio was tried first: in headless Chromium on a busy machine its context
 * clock ran well behind the wall clock, so its markers drifted by hundreds of ms a second.)
 */
import { renderMarkerTrack } from '../../media/av-marker.js';
import { nowMs } from './clock.js';

const RATE_HZ = 48_000;
const BLOCK_SAMPLES = 480;
const BLOCK_MS = (BLOCK_SAMPLES * 1000) / RATE_HZ;

export class MarkerAudioSource {
  private readonly generator = new MediaStreamTrackGenerator({ kind: 'audio' });
  private readonly writer = this.generator.writable.getWriter();
  private timer: number | undefined;
  private written = 0;
  private endMs = Number.POSITIVE_INFINITY;

  get track(): MediaStreamTrack {
    return this.generator;
  }

  /** Starts the markers of a timetable that began at `startMs` (frame 0's capture time) at `fps`. */
  start(startMs: number, fps: number): void {
    const tick = (): void => {
      const now = Math.min(nowMs(), this.endMs);
      // every block whose 10 ms are over (a late timer writes the ones it missed at once)
      while (startMs + (this.written + BLOCK_SAMPLES) / (RATE_HZ / 1000) <= now) {
        const block = new Float32Array(BLOCK_SAMPLES);
        renderMarkerTrack(block, this.written, fps, RATE_HZ);
        const data = new AudioData({
          format: 'f32-planar',
          sampleRate: RATE_HZ,
          numberOfFrames: BLOCK_SAMPLES,
          numberOfChannels: 1,
          timestamp: Math.round((startMs + this.written / (RATE_HZ / 1000)) * 1000),
          data: block,
        });
        this.written += BLOCK_SAMPLES;
        void this.writer.write(data).catch(() => data.close());
      }
      if (nowMs() < this.endMs) this.timer = window.setTimeout(tick, BLOCK_MS / 2);
    };
    tick();
  }

  /** No audio from `atMs` on (the video timetable ended there). */
  stop(atMs = nowMs()): void {
    this.endMs = Math.min(this.endMs, atMs);
  }

  close(): void {
    this.stop();
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    void this.writer.close().catch(() => undefined);
  }
}

/**
 * A synthetic publisher's audio track for A/V sync (`audio: { sync: true }`): the marker track of av-marker.ts,
 * Opus-encoded in 20 ms packets on the video timetable's clock (sample 0 is the capture time of video frame 0). A
 * packet goes out once its 20 ms have been "captured", as a real sender's would: packet k holds the samples from
 * start + 20k ms and is sent at start + 20(k + 1) ms.
 */
import { type RTCRtpSender, RtpHeader, RtpPacket } from 'werift';

import { renderMarkerTrack } from '../../media/av-marker.js';
import { OPUS_FRAME_SAMPLES, OPUS_RATE, OpusEncoder } from '../../media/opus.js';
import { nowMs } from '../../metrics/clock.js';

const PACKET_MS = (OPUS_FRAME_SAMPLES * 1000) / OPUS_RATE;
/** the payload type werift offers for Opus (its sender rewrites it to the negotiated one anyway) */
const OPUS_PAYLOAD_TYPE = 111;

export class MarkerAudio {
  private readonly encoder = new OpusEncoder();
  private readonly pcm = new Float32Array(OPUS_FRAME_SAMPLES);
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  private sequenceNumber = Math.floor(Math.random() * 0xffff);
  private readonly timestampBase = (Math.random() * 0xffffffff) >>> 0;
  private next = 0;
  private endMs = Number.POSITIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly sender: RTCRtpSender,
    /** the video timetable's start: the capture time of frame 0, ms */
    private readonly startMs: number,
    private readonly fps: number,
    private readonly onError: (message: string) => void,
  ) {}

  start(): void {
    this.tick();
  }

  /** No packet holding samples from `atMs` on is sent (the video timetable ended there). */
  endAt(atMs: number): void {
    this.endMs = Math.min(this.endMs, atMs);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.closed) return;
    const now = nowMs();
    // every packet whose 20 ms are over (a late timer sends the ones it missed at once)
    while (this.startMs + (this.next + 1) * PACKET_MS <= now) {
      if (this.startMs + this.next * PACKET_MS >= this.endMs) return;
      this.send(this.next);
      this.next += 1;
    }
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.startMs + (this.next + 1) * PACKET_MS - nowMs()));
  }

  private send(k: number): void {
    const first = k * OPUS_FRAME_SAMPLES;
    renderMarkerTrack(this.pcm, first, this.fps, OPUS_RATE);
    const pcm = this.pcm.slice();
    this.sending = this.sending
      .then(async () => {
        const packets = await this.encoder.encode(pcm);
        if (this.closed) return;
        for (const payload of packets) {
          const header = new RtpHeader({
            payloadType: OPUS_PAYLOAD_TYPE,
            sequenceNumber: this.sequenceNumber,
            timestamp: (this.timestampBase + first) >>> 0,
            ssrc: this.ssrc,
            marker: false,
          });
          this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
          void this.sender.sendRtp(new RtpPacket(header, Buffer.from(payload)));
        }
      })
      .catch((error: unknown) => this.onError(`marker audio: ${String(error)}`));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sending;
    await this.encoder.close().catch(() => undefined);
  }
}

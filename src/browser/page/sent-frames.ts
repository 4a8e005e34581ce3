/**
 * Which RTP timestamp each captured frame was sent with. A browser cannot put our frame-id header extension
 * on its packets, and canvas capture, the encoder's frame dropping and pacing make the RTP timestamp
 * impossible to predict from the capture time. So the publisher decodes its own encoded frames (an
 * encoded-frame sender transform feeds a WebCodecs VP8 decoder) and reads the marker back: frame id and RTP
 * timestamp are then known exactly, and receivers without a marker reader (synthetic subscribers) and the
 * SFU's stage times join the frame through its RTP timestamp. A frame is reported as sent when the encoder
 * handed it to RTP (`sentMs`); frames the encoder dropped are never sent. Where the page cannot decode
 * (no WebCodecs VP8), or need not (no synthetic receiver in the room: the decode costs CPU that the browsers
 * on a small machine compete for), frames are reported at capture, without RTP timestamps.
 */
import { markerLayout, readMarker, readMarkerLuma, type DecodedMarker } from '../../media/marker.js';
import { nowMs } from './clock.js';
import type { PageSentFrame } from './types.js';

interface EncodedFrameLike {
  type?: 'key' | 'delta' | 'empty';
  data: ArrayBuffer;
  timestamp: number;
  getMetadata(): { rtpTimestamp?: number };
}

/** captured frames not yet seen encoded are forgotten after this many newer ones (the encoder dropped them) */
const PENDING_LIMIT = 120;

export class SentFrames {
  /** seq -> capture time of frames drawn and not yet seen leaving the encoder */
  private readonly captured = new Map<number, number>();
  /** rtp timestamp -> when the encoder handed the frame to RTP, its size and type */
  private readonly encoded = new Map<number, { sentMs: number; bytes: number; keyframe: boolean }>();
  private decoder: VideoDecoder | undefined;
  private waitingForKeyframe = true;
  private fallback = false;
  private canvas: OffscreenCanvas | undefined;

  constructor(
    private readonly publisherTag: number,
    private readonly out: PageSentFrame[],
    private readonly onError: (message: string) => void,
    identify: boolean,
  ) {
    if (!identify || typeof VideoDecoder === 'undefined') {
      this.fallback = true;
      return;
    }
    this.decoder = new VideoDecoder({
      output: (frame) => void this.identify(frame),
      error: (error) => this.giveUp(`VP8 decoder: ${String(error)}`),
    });
    this.decoder.configure({ codec: 'vp8', optimizeForLatency: true });
  }

  /** A frame was drawn and handed to the capturer. */
  onCaptured(seq: number, captureMs: number): void {
    if (this.fallback) {
      this.out.push({ f: `${this.publisherTag}:${seq}`, captureMs, sentMs: captureMs });
      return;
    }
    this.captured.set(seq, captureMs);
    if (this.captured.size > PENDING_LIMIT) this.captured.delete(this.captured.keys().next().value as number);
  }

  /** Pipes a video sender's encoded frames through a tap that decodes a copy of each. */
  tap(sender: RTCRtpSender): void {
    if (this.fallback) return;
    const streams = (sender as unknown as { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } }).createEncodedStreams();
    const transform = new TransformStream({
      transform: (frame: EncodedFrameLike, controller) => {
        this.onEncoded(frame);
        controller.enqueue(frame);
      },
    });
    void streams.readable.pipeThrough(transform).pipeTo(streams.writable);
  }

  private onEncoded(frame: EncodedFrameLike): void {
    if (this.fallback || !this.decoder) return;
    const rtpTs = frame.getMetadata().rtpTimestamp ?? frame.timestamp;
    const keyframe = frame.type === 'key';
    if (frame.type === 'empty' || frame.data.byteLength === 0) return;
    if (this.waitingForKeyframe && !keyframe) return;
    this.waitingForKeyframe = false;
    this.encoded.set(rtpTs, { sentMs: nowMs(), bytes: frame.data.byteLength, keyframe });
    if (this.encoded.size > PENDING_LIMIT) this.encoded.delete(this.encoded.keys().next().value as number);
    try {
      this.decoder.decode(new EncodedVideoChunk({ type: keyframe ? 'key' : 'delta', timestamp: rtpTs, data: frame.data }));
    } catch (error) {
      this.giveUp(`VP8 decoder: ${String(error)}`);
    }
  }

  private async identify(frame: VideoFrame): Promise<void> {
    const rtpTs = frame.timestamp;
    try {
      const marker = await this.readMarker(frame);
      const encoded = this.encoded.get(rtpTs);
      this.encoded.delete(rtpTs);
      if (!marker || !encoded || marker.publisherTag !== this.publisherTag) return;
      const captureMs = this.captured.get(marker.frameSeq);
      if (captureMs === undefined) return;
      this.captured.delete(marker.frameSeq);
      this.out.push({ f: `${this.publisherTag}:${marker.frameSeq}`, captureMs, sentMs: encoded.sentMs, rtpTs, bytes: encoded.bytes, keyframe: encoded.keyframe });
    } finally {
      frame.close();
    }
  }

  /** The strip's luma straight from the decoded planes; a canvas read for formats without a Y plane. */
  private async readMarker(frame: VideoFrame): Promise<DecodedMarker | undefined> {
    const width = frame.codedWidth;
    const { stripHeight } = markerLayout(width);
    const rows = Math.min(frame.codedHeight, stripHeight + (stripHeight % 2));
    if (frame.format === 'I420' || frame.format === 'I420A' || frame.format === 'NV12' || frame.format === 'I444') {
      const rect = { x: 0, y: 0, width, height: rows };
      const buffer = new Uint8Array(frame.allocationSize({ rect }));
      const layout = await frame.copyTo(buffer, { rect });
      const luma = layout[0];
      if (!luma) return undefined;
      return readMarkerLuma(buffer.subarray(luma.offset), luma.stride, width);
    }
    if (!this.canvas || this.canvas.width !== width) this.canvas = new OffscreenCanvas(width, stripHeight);
    const ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return undefined;
    ctx.drawImage(frame, 0, 0, width, stripHeight, 0, 0, width, stripHeight);
    return readMarker(ctx.getImageData(0, 0, width, stripHeight).data, width);
  }

  /** Without a decoder, frames are reported at capture (no RTP timestamps): receivers with a marker still join. */
  private giveUp(message: string): void {
    if (this.fallback) return;
    this.fallback = true;
    this.onError(`${message}; frames are reported at capture from now on`);
    for (const [seq, captureMs] of this.captured) this.out.push({ f: `${this.publisherTag}:${seq}`, captureMs, sentMs: captureMs });
    this.captured.clear();
    this.encoded.clear();
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
  }

  close(): void {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = undefined;
  }
}

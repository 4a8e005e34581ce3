/**
 * Which drawn frames the encoder sent, with the RTP timestamp each went out with, and which it dropped. A
 * browser cannot put our frame-id header extension on its packets, and canvas capture, the encoder's frame
 * dropping and pacing make the RTP timestamp impossible to predict from the capture time. So the publisher
 * decodes its own encoded frames (an encoded-frame sender transform feeds a WebCodecs VP8 decoder) and reads
 * the marker back: frame id and RTP timestamp are then known exactly, receivers without a marker reader
 * (synthetic subscribers) and the SFU's stage times join the frame through its RTP timestamp, and a frame the
 * encoder never emitted is told apart from one still in flight (frame-matcher.ts). It decodes in every room
 * composition (about 2 ms of CPU a frame at 640x360), because a dropped frame reported as sent would be
 * counted lost at every receiver, and one not reported at all would vanish: reported, it is skipped
 * (`encoder-dropped`). A frame is reported as sent when the encoder handed it to RTP (`sentMs`). Where the page
 * cannot decode (no WebCodecs VP8, or the decoder failed), frames are reported at capture without RTP
 * timestamps, and drops cannot be told (the run's errors say so).
 */
import { nowMs } from './clock.js';
import { FrameMatcher, type FrameVerdict } from './frame-matcher.js';
import { MarkerReader } from './marker-reader.js';
import type { PageSentFrame, PageSkippedFrame } from './types.js';

interface EncodedFrameLike {
  type?: 'key' | 'delta' | 'empty';
  data: ArrayBuffer;
  timestamp: number;
  getMetadata(): { rtpTimestamp?: number };
}

/** how often drawn frames are checked for having never been encoded, ms */
const STALE_CHECK_MS = 200;

export class SentFrames {
  private readonly matcher = new FrameMatcher();
  private decoder: VideoDecoder | undefined;
  private waitingForKeyframe = true;
  private fallback = false;
  private readonly markers = new MarkerReader();
  /** decoded frames are named one at a time, in decode order (the matcher relies on the encoder's order) */
  private naming: Promise<void> = Promise.resolve();
  private readonly staleTimer: number | undefined;

  constructor(
    private readonly publisherTag: number,
    private readonly out: PageSentFrame[],
    private readonly skipped: PageSkippedFrame[],
    private readonly onError: (message: string) => void,
  ) {
    if (typeof VideoDecoder === 'undefined') {
      this.fallback = true;
      onError('no WebCodecs VideoDecoder: frames are reported at capture, and frames the encoder drops cannot be told');
      return;
    }
    this.decoder = new VideoDecoder({
      output: (frame) => {
        this.naming = this.naming.then(() => this.identify(frame));
      },
      error: (error) => this.giveUp(`VP8 decoder: ${String(error)}`),
    });
    this.decoder.configure({ codec: 'vp8', optimizeForLatency: true });
    this.staleTimer = window.setInterval(() => this.settle(this.matcher.judgeStale(nowMs())), STALE_CHECK_MS);
  }

  /** A frame was drawn (scheduled capture time `captureMs`) and entered the encoder's source. */
  onCaptured(seq: number, captureMs: number): void {
    if (this.fallback) {
      this.out.push({ f: `${this.publisherTag}:${seq}`, captureMs, sentMs: captureMs });
      return;
    }
    this.settle(this.matcher.onDrawn({ seq, captureMs, drawnMs: nowMs() }));
  }

  /** Pipes a video sender's encoded frames through a tap that decodes a copy of each. */
  tap(sender: RTCRtpSender): void {
    const streams = (
      sender as unknown as { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } }
    ).createEncodedStreams();
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
    if (frame.type === 'empty' || frame.data.byteLength === 0) return;
    const rtpTs = frame.getMetadata().rtpTimestamp ?? frame.timestamp;
    const keyframe = frame.type === 'key';
    // a frame that cannot be decoded stays unnamed in the matcher: it still accounts for one drawn frame
    this.matcher.onEncoded({ rtpTs, sentMs: nowMs(), bytes: frame.data.byteLength, keyframe });
    if (this.waitingForKeyframe && !keyframe) return;
    this.waitingForKeyframe = false;
    try {
      this.decoder.decode(
        new EncodedVideoChunk({ type: keyframe ? 'key' : 'delta', timestamp: rtpTs, data: frame.data }),
      );
    } catch (error) {
      this.giveUp(`VP8 decoder: ${String(error)}`);
    }
  }

  private async identify(frame: VideoFrame): Promise<void> {
    try {
      const marker = await this.markers.read(frame);
      if (this.fallback || !marker || marker.publisherTag !== this.publisherTag) return;
      this.settle(this.matcher.onIdentified(frame.timestamp, marker.frameSeq));
    } catch (error) {
      this.onError(`reading the sent frame's marker: ${String(error)}`);
    } finally {
      frame.close();
    }
  }

  private settle(verdicts: FrameVerdict[]): void {
    for (const v of verdicts) {
      if (v.kind === 'dropped') this.skipped.push({ captureMs: v.captureMs, reason: 'encoder-dropped' });
      else
        this.out.push({
          f: `${this.publisherTag}:${v.seq}`,
          captureMs: v.captureMs,
          sentMs: v.encoded.sentMs,
          rtpTs: v.encoded.rtpTs,
          bytes: v.encoded.bytes,
          keyframe: v.encoded.keyframe,
        });
    }
  }

  /** Without a decoder, frames are reported at capture (no RTP timestamps): receivers with a marker still join. */
  private giveUp(message: string): void {
    if (this.fallback) return;
    this.fallback = true;
    this.onError(`${message}; frames are reported at capture from now on, and frames the encoder drops cannot be told`);
    for (const v of this.matcher.judgeStale(Number.POSITIVE_INFINITY))
      this.out.push({ f: `${this.publisherTag}:${v.seq}`, captureMs: v.captureMs, sentMs: v.captureMs });
    if (this.staleTimer !== undefined) window.clearInterval(this.staleTimer);
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
  }

  close(): void {
    if (this.staleTimer !== undefined) window.clearInterval(this.staleTimer);
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = undefined;
  }
}

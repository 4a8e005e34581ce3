/**
 * Browser publisher: a canvas-backed MediaStream whose every frame carries the pixel marker (frame id and
 * capture time) in its top strip, above moving content so the encoder works as on real video. Frames are
 * pushed with `requestFrame()` right after drawing, so each drawn frame is captured exactly once. Drawing is
 * open-loop (peers/timetable.ts): slot n is due at start + n / fps, its due time is the frame's capture time in
 * the marker, its index the frame's sequence number (a skipped slot consumes its number); a slot the page
 * reaches more than an interval late is skipped (`late`), and a drawn frame the encoder never emitted is
 * reported as `encoder-dropped` (sent-frames.ts). With `avSync`, an audio track carries the A/V sync marker at the
 * due times of the marker frames (marker-audio.ts).
 */
import { SQUARE_STYLE, sweepStyle } from '../../media/canvas-pattern.js';
import { paintLuma, patternGeometry } from '../../media/i420-painter.js';
import { encodeMarker, MARKER_COLUMNS, markerLayout } from '../../media/marker.js';
import { type Slot, Timetable } from '../../peers/timetable.js';
import { nowMs } from './clock.js';
import { EdgeAi } from './edge-ai.js';
import { MarkerAudioSource } from './marker-audio.js';
import { SentFrames } from './sent-frames.js';
import { SpeechSource } from './speech.js';
import type { PageEdgeAi, PageSentFrame, PageSkippedFrame, PageUtterance, PublisherOptions } from './types.js';

export class PagePublisher {
  readonly pc: RTCPeerConnection;
  private readonly canvas = document.createElement('canvas');
  private readonly ctx: CanvasRenderingContext2D;
  private readonly track: CanvasCaptureMediaStreamTrack;
  private timer: number | undefined;
  private timetable: Timetable | undefined;
  /** the textured pattern's luma and pixels, reused from frame to frame */
  private luma: Uint8Array | undefined;
  private image: ImageData | undefined;

  private speech: SpeechSource | undefined;
  private markerAudio: MarkerAudioSource | undefined;
  private readonly sentFrames: SentFrames;
  /** edge placement: drawn frames go through the page's AI, then to the encoder */
  private readonly edge: EdgeAi | undefined;

  constructor(
    private readonly options: PublisherOptions,
    sent: PageSentFrame[],
    private readonly skipped: PageSkippedFrame[],
    private readonly utterances: PageUtterance[],
    onError: (message: string) => void,
    edgeAi: PageEdgeAi[] = [],
  ) {
    // encoded insertable streams: the sender tap that learns which frames were sent, with their RTP timestamps
    // (sent-frames.ts)
    this.pc = new RTCPeerConnection({
      iceServers: options.ice?.iceServers ?? [],
      iceTransportPolicy: options.ice?.iceTransportPolicy ?? 'all',
      encodedInsertableStreams: true,
    } as RTCConfiguration);
    this.sentFrames = new SentFrames(options.publisherTag, sent, skipped, onError);
    this.canvas.width = options.width;
    this.canvas.height = options.height;
    // not in the document: the page composites nothing; captureStream reads the canvas all the same. Opaque, as
    // every pixel is drawn, so no alpha is kept or premultiplied
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2d canvas context');
    this.ctx = ctx;
    this.track = this.canvas.captureStream(0).getVideoTracks()[0] as CanvasCaptureMediaStreamTrack;
    if (options.edge) {
      this.edge = new EdgeAi(options.edge.stages, options.width, edgeAi);
      // only a frame the page's AI passed on enters the encoder's source; one it dropped counts in frames_dropped_ai
      this.edge.onSourced = (f, captureMs) => this.sentFrames.onCaptured(Number(f.split(':')[1]), captureMs);
    }
    this.draw(nowMs(), -1);
  }

  async createOffer(): Promise<string> {
    await this.edge?.load();
    const transceiver = this.pc.addTransceiver(this.edge ? this.edge.track : this.track, { direction: 'sendonly' });
    this.sentFrames.tap(transceiver.sender);
    if (this.options.utterances && this.options.utterances.length > 0) {
      this.speech = new SpeechSource(
        this.options.utterances,
        this.options.utteranceIntervalMs ?? 4000,
        this.utterances,
      );
      await this.speech.load();
      const audio = this.pc.addTransceiver(this.speech.track, { direction: 'sendonly' });
      passThrough(audio.sender); // with encoded insertable streams on, every sender's frames must be piped
    } else if (this.options.avSync) {
      // the scenario never asks for both (validate.ts): the marker tones would be in the speech
      this.markerAudio = new MarkerAudioSource();
      passThrough(this.pc.addTransceiver(this.markerAudio.track, { direction: 'sendonly' }).sender);
    }
    const vp8 = (RTCRtpSender.getCapabilities('video')?.codecs ?? []).filter(
      (c) => c.mimeType.toLowerCase() === 'video/vp8',
    );
    if (vp8.length > 0) transceiver.setCodecPreferences(vp8);
    await this.pc.setLocalDescription();
    await iceGatheringComplete(this.pc);
    return this.pc.localDescription?.sdp ?? '';
  }

  async setAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    const sender = this.pc.getSenders().find((s) => s.track?.kind === 'video');
    if (sender) {
      const parameters = sender.getParameters();
      parameters.encodings = (parameters.encodings.length > 0 ? parameters.encodings : [{}]).map((e) => ({
        ...e,
        maxBitrate: this.options.bitrateKbps * 1000,
        maxFramerate: this.options.fps,
      }));
      await sender.setParameters(parameters);
    }
  }

  start(): void {
    this.speech?.start();
    const startMs = nowMs();
    this.timetable = new Timetable({ fps: this.options.fps, startMs });
    this.markerAudio?.start(startMs, this.options.fps);
    this.tick();
  }

  private tick(): void {
    const timetable = this.timetable;
    this.timer = undefined;
    if (!timetable) return;
    const { send, skipped } = timetable.take(nowMs());
    for (const slot of skipped) this.skipped.push({ captureMs: slot.dueMs, reason: 'late' });
    if (send) this.drawSlot(send);
    if (timetable.done) return;
    this.timer = window.setTimeout(() => this.tick(), Math.max(0, timetable.nextDueMs() - nowMs()));
  }

  /** Draws the slot's frame (its due time in the marker) and hands it to the capturer, or to the page's AI. */
  private drawSlot(slot: Slot): void {
    this.draw(slot.dueMs, slot.seq);
    if (this.edge)
      this.edge.submit(
        new VideoFrame(this.canvas, { timestamp: Math.round(slot.dueMs * 1000) }),
        `${this.options.publisherTag}:${slot.seq}`,
        slot.dueMs,
      );
    else {
      this.track.requestFrame();
      this.sentFrames.onCaptured(slot.seq, slot.dueMs);
    }
  }

  /** Ends the timetable at `atMs` (default now); slots due before it and not drawn yet are reported skipped. */
  stop(atMs = nowMs()): void {
    const timetable = this.timetable;
    if (timetable) {
      timetable.endAt(atMs);
      const now = nowMs();
      if (atMs <= now) {
        if (this.timer !== undefined) window.clearTimeout(this.timer);
        this.timer = undefined;
        for (const slot of timetable.flush(now)) this.skipped.push({ captureMs: slot.dueMs, reason: 'late' });
      }
    }
    this.speech?.stop();
    this.markerAudio?.stop(atMs);
  }

  private draw(captureMs: number, seq: number): void {
    const { width, height } = this.options;
    const ctx = this.ctx;
    // moving content, a function of the frame number alone so a receiver regenerates it (picture-quality.ts): a
    // slow colour sweep and a bouncing square (canvas-pattern.ts), or with `texture` the synthetic source's
    // textured pattern (i420-painter.ts) as greys
    const t = Math.max(0, seq);
    if (this.options.texture) this.drawTextured(t);
    else {
      const { size, x0, y0 } = patternGeometry(width, height, t);
      ctx.fillStyle = sweepStyle(t);
      ctx.fillRect(0, 0, width, height);
      ctx.fillStyle = SQUARE_STYLE;
      ctx.fillRect(x0, y0, size, size);
    }
    const { blockWidth, blockHeight, stripHeight } = markerLayout(width);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, width, stripHeight);
    if (seq < 0) return;
    const bits = encodeMarker({ publisherTag: this.options.publisherTag, frameSeq: seq, captureMs });
    ctx.fillStyle = '#fff';
    for (let i = 0; i < bits.length; i += 1) {
      if (bits[i])
        ctx.fillRect(
          (i % MARKER_COLUMNS) * blockWidth,
          Math.floor(i / MARKER_COLUMNS) * blockHeight,
          blockWidth,
          blockHeight,
        );
    }
  }

  /**
   * The textured pattern, pixel by pixel: its luma (paintLuma) as greys. Chromium turns a canvas grey v into Y = v
   * (canvas-pattern.ts), so the page's frames carry the synthetic source's Y plane within a level.
   */
  private drawTextured(seq: number): void {
    const { width, height } = this.options;
    this.luma ??= new Uint8Array(width * height);
    this.image ??= this.ctx.createImageData(width, height);
    paintLuma(this.luma, width, height, seq, true);
    const rgba = this.image.data;
    for (let i = 0, j = 0; i < this.luma.length; i += 1, j += 4) {
      const v = this.luma[i] as number;
      rgba[j] = v;
      rgba[j + 1] = v;
      rgba[j + 2] = v;
      rgba[j + 3] = 255;
    }
    this.ctx.putImageData(this.image, 0, 0);
  }

  close(): void {
    this.stop();
    this.edge?.close();
    this.speech?.close();
    this.markerAudio?.close();
    this.sentFrames.close();
    this.pc.close();
  }
}

function passThrough(sender: RTCRtpSender): void {
  const streams = (
    sender as unknown as { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } }
  ).createEncodedStreams();
  void streams.readable.pipeTo(streams.writable);
}

export function iceGatheringComplete(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const check = (): void => {
      if (pc.iceGatheringState === 'complete') {
        pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      }
    };
    pc.addEventListener('icegatheringstatechange', check);
    window.setTimeout(resolve, 3000); // loopback host candidates arrive at once; do not wait forever
  });
}

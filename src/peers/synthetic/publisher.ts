/**
 * Synthetic publisher: a werift peer that sends VP8-shaped frames at the configured fps and bitrate over
 * WHIP, no encoder needed. Every packet carries the frame id and abs-capture-time extensions; filler frames also
 * carry the id in their bitstream (payload-identity.ts). With `avSync`, an Opus track carries the A/V sync marker
 * on the same timetable (marker-audio.ts).
 */
import {
  MediaStreamTrack,
  PictureLossIndication,
  RTCPeerConnection,
  RtcpPayloadSpecificFeedback,
  type RTCRtpTransceiver,
  RtpHeader,
  RtpPacket,
} from 'werift';

import { writePayloadIdentity } from '../../media/payload-identity.js';
import { encodeAbsCaptureTime, encodeFrameId, type ExtensionIds, extensionIdsFrom } from '../../media/rtp-identity.js';
import { Vp8LiveEncoder } from '../../media/vp8-encoder.js';
import { buildVp8Frame, FrameSizer, packetizeVp8 } from '../../media/vp8-synthetic.js';
import { peerConfig } from '../../media/werift-config.js';
import { nowMs } from '../../metrics/clock.js';
import { frameKey } from '../../protocol/frame-key.js';
import type { PublisherSpec, SkippedFrameRecord } from '../../protocol/runner-ipc.js';
import { TypedEmitter } from '../events.js';
import { authOf, deleteSession } from '../signaling.js';
import { type Slot, Timetable } from '../timetable.js';
import type { Publisher, PublisherEvents } from '../types.js';
import { connectPeer, watchConnection } from './connect.js';
import { publishJanus } from './connect-janus.js';
import { MarkerAudio } from './marker-audio.js';

export interface SyntheticPublisherOptions {
  /** what to publish, where (the harness's start-publisher command) */
  spec: PublisherSpec;
}

/**
 * Reports `sent`, `skipped`, `lost` and (an encoded source's encoder) `error`; never `utterance` or `edgeAi`.
 */
export class SyntheticPublisher extends TypedEmitter<PublisherEvents> implements Publisher {
  private readonly pc: RTCPeerConnection;
  private transceiver: RTCRtpTransceiver | undefined;
  private extensionIds: ExtensionIds = {};
  private readonly sizer: FrameSizer;
  private resourceUrl: string | undefined;
  private leaveJanus: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timetable: Timetable | undefined;
  private sequenceNumber = Math.floor(Math.random() * 0xffff);
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  private closed = false;
  private unwatch: (() => void) | undefined;
  private encoder: Vp8LiveEncoder | undefined;
  private keyframeWanted = false;
  private audioTransceiver: RTCRtpTransceiver | undefined;
  private markerAudio: MarkerAudio | undefined;
  private readonly spec: PublisherSpec;
  streamId = '';

  constructor(options: SyntheticPublisherOptions) {
    super();
    const { spec } = options;
    this.spec = spec;
    this.pc = new RTCPeerConnection(peerConfig(spec.network));
    this.sizer = new FrameSizer({
      bitrateKbps: spec.video.bitrateKbps,
      fps: spec.video.fps,
      keyframeIntervalMs: spec.video.keyframeIntervalMs,
    });
  }

  async start(connectTimeoutMs: number): Promise<void> {
    const track = new MediaStreamTrack({ kind: 'video' });
    this.transceiver = this.pc.addTransceiver(track, { direction: 'sendonly' });
    this.transceiver.sender.onRtcp.subscribe((rtcp) => {
      // PLI (FMT 1) or FIR (FMT 4): the next frame is a keyframe
      if (
        rtcp instanceof RtcpPayloadSpecificFeedback &&
        [PictureLossIndication.count, 4].includes(rtcp.feedback.count)
      ) {
        this.sizer.requestKeyframe();
        this.keyframeWanted = true;
      }
    });
    if (this.spec.avSync)
      this.audioTransceiver = this.pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), {
        direction: 'sendonly',
      });
    if (this.spec.video.source === 'encoded') {
      const { width, height, fps, bitrateKbps, keyframeIntervalMs } = this.spec.video;
      this.encoder = new Vp8LiveEncoder(
        {
          width,
          height,
          fps,
          bitrateKbps,
          keyframeIntervalMs,
          publisherTag: this.spec.publisherTag,
          ...(this.spec.video.texture ? { texture: true } : {}),
        },
        (frame) => this.sendVp8(frame.data, frame.seq, frame.captureMs, frame.keyframe),
        (message) => this.emit('error', message),
        // libvpx's rate control dropped the slot's frame, or encoding it failed: never sent, so reported
        (seq, captureMs) => this.skip({ seq, dueMs: captureMs }, 'encoder-dropped'),
        // still in the encoder when the publisher left the run (a ramp or a call ending): never sent, reported
        (seq, captureMs) => this.skip({ seq, dueMs: captureMs }, 'closed'),
      );
      await this.encoder.start();
    }
    await this.connect(connectTimeoutMs);
    this.extensionIds = extensionIdsFrom(this.transceiver.headerExtensions);
    this.startFrames();
    const { silenceTimeoutMs, endpointUrl } = this.spec;
    // closed while it connected: nothing to watch
    if (silenceTimeoutMs !== undefined && !this.closed)
      this.unwatch = watchConnection(this.pc, endpointUrl, silenceTimeoutMs, (lost) => {
        // nothing it sends arrives: no frame is due after this
        this.stopSending();
        this.emit('lost', lost);
      });
  }

  /** WHIP, or (a Janus target) joining the room as a publisher: the stream id is then the feed id. */
  private async connect(connectTimeoutMs: number): Promise<void> {
    const { janus, endpointUrl, token, peerId } = this.spec;
    if (janus) {
      const options = { url: endpointUrl, room: janus.room, createRoom: janus.createRoom, display: peerId };
      const publication = await publishJanus(this.pc, {
        ...options,
        timeoutMs: connectTimeoutMs,
        ...(token === undefined ? {} : { token }),
      });
      this.leaveJanus = publication.close;
      this.streamId = String(publication.feed);
      return;
    }
    const session = await connectPeer(this.pc, endpointUrl, authOf(this.spec), connectTimeoutMs);
    this.resourceUrl = session.resourceUrl;
    this.streamId = session.sessionId;
  }

  /**
   * Open-loop sending (timetable.ts): slot n is due at start + n / fps and is its frame's capture time; a slot
   * is sent late (its lag measured as sentMs - captureMs) or, more than an interval late, skipped and reported.
   * The frame's sequence number is its slot index, so a skipped slot consumes its number (receivers and the
   * collector never infer loss from gaps in it).
   */
  private startFrames(): void {
    const startMs = nowMs();
    this.timetable = new Timetable({ fps: this.spec.video.fps, startMs });
    if (this.audioTransceiver) {
      this.markerAudio = new MarkerAudio(this.audioTransceiver.sender, startMs, this.spec.video.fps, (message) =>
        this.emit('error', message),
      );
      this.markerAudio.start();
    }
    this.tick();
  }

  private tick(): void {
    const timetable = this.timetable;
    this.timer = undefined;
    if (this.closed || !timetable) return;
    const now = nowMs();
    const { send, skipped } = timetable.take(now);
    for (const slot of skipped) this.skip(slot, 'late');
    if (send) this.sendSlot(send);
    if (timetable.done) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, timetable.nextDueMs() - nowMs()));
  }

  private skip(slot: Slot, reason: SkippedFrameRecord['reason']): void {
    this.emit('skipped', {
      peer: this.spec.peerId,
      publisherTag: this.spec.publisherTag,
      captureMs: slot.dueMs,
      reason,
    });
  }

  private sendSlot(slot: Slot): void {
    if (this.encoder) {
      // a busy encoder skips the slot rather than queueing: a real-time sender prefers fresh frames
      if (this.encoder.inFlight >= 2) {
        this.skip(slot, 'encoder-busy');
        return;
      }
      this.encoder.encode(slot.seq, slot.dueMs, this.keyframeWanted);
      this.keyframeWanted = false;
      return;
    }
    const shape = this.sizer.next();
    const frame = buildVp8Frame(shape, this.spec.video.width, this.spec.video.height);
    // the id in the filler bitstream too: it survives an SFU that strips header extensions
    writePayloadIdentity(frame, { publisherTag: this.spec.publisherTag, frameSeq: slot.seq });
    this.sendVp8(frame, slot.seq, slot.dueMs, shape.keyframe);
  }

  /** Packetizes one VP8 frame (RFC 7741) with the identity extensions, and hands it to RTP. */
  private sendVp8(frame: Buffer, frameSeq: number, captureMs: number, keyframe: boolean): void {
    const sender = this.transceiver?.sender;
    if (!sender || this.closed) {
      // came out of the encoder after the publisher left: never sent, so reported rather than absent
      if (this.closed) this.skip({ seq: frameSeq, dueMs: captureMs }, 'closed');
      return;
    }
    const id = { publisherTag: this.spec.publisherTag, frameSeq };
    const payloads = packetizeVp8(frame, id.frameSeq & 0x7fff);
    const timestamp = Math.floor(captureMs * 90) >>> 0;
    const extensions: { id: number; payload: Buffer }[] = [];
    if (this.extensionIds.frameId !== undefined)
      extensions.push({ id: this.extensionIds.frameId, payload: encodeFrameId(id) });
    if (this.extensionIds.absCaptureTime !== undefined) {
      extensions.push({ id: this.extensionIds.absCaptureTime, payload: encodeAbsCaptureTime(captureMs) });
    }
    const sentMs = nowMs();
    for (const [i, payload] of payloads.entries()) {
      const header = new RtpHeader({
        payloadType: 96,
        sequenceNumber: this.sequenceNumber,
        timestamp,
        ssrc: this.ssrc,
        marker: i === payloads.length - 1,
        extension: true,
        extensions: extensions.map((e) => ({ ...e })),
      });
      this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
      void sender.sendRtp(new RtpPacket(header, payload));
    }
    // the RTP timestamp names the frame for receivers that cannot read its frame-id extension (a browser page
    // reports it with a frame its reader passed over)
    this.emit('sent', {
      f: frameKey(id),
      peer: this.spec.peerId,
      captureMs,
      sentMs,
      bytes: frame.length,
      keyframe,
      rtpTs: timestamp,
    });
  }

  /**
   * Ends the timetable at `atMs` (default now): slots due before it are still sent or skipped, none after it
   * is due. A stop that arrives late reports the slots due before it and not yet taken as skipped (`late`).
   */
  stopSending(atMs = nowMs()): void {
    const timetable = this.timetable;
    if (!timetable) return;
    timetable.endAt(atMs);
    this.markerAudio?.endAt(atMs);
    const now = nowMs();
    if (atMs > now) return; // the timer runs on to the end
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const slot of timetable.flush(now)) this.skip(slot, 'late');
  }

  /** Idempotent: stops frames, ends the WHIP session, closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unwatch?.();
    this.stopSending();
    try {
      await this.encoder?.close();
    } finally {
      // the marker's Opus encoder is closed even when the video encoder's close failed
      await this.markerAudio?.close();
    }
    if (this.resourceUrl) await deleteSession(this.resourceUrl, authOf(this.spec));
    await this.leaveJanus?.();
    await this.pc.close().catch(() => undefined);
  }
}

/**
 * WHIP (publisher) and WHEP (subscriber) sessions of the reference SFU. A publisher session owns its
 * peer connection and forwards each RTP packet to the subscriber sessions bound to it; identity header
 * extensions are remapped to the ids each subscriber negotiated (or, with `rewriteRtp`, dropped while sequence
 * numbers and timestamps are shifted per subscriber), and each subscriber gets its own copy of the packet
 * (werift's sendRtp rewrites SSRC, sequence number and timestamp in place). What both kinds share
 * (negotiation, connect and idle timeouts, close) is session.ts. A subscriber is bound to a `Source`: a publisher
 * session of this process, or (multi-worker SFU) a publisher on another worker whose packets are piped here
 * (cluster/pipe.ts).
 */
import { randomInt } from 'node:crypto';

import {
  MediaStreamTrack,
  PictureLossIndication,
  type RTCDataChannel,
  RtcpPayloadSpecificFeedback,
  type RTCRtpTransceiver,
  RtpHeader,
  RtpPacket,
} from 'werift';

import { afterDatagramSent, datagramReadMs } from '../../src/media/datagram-clock.js';
import { type ExtensionIds, extensionIdsFrom, readIdentity } from '../../src/media/rtp-identity.js';
import { packetizeVp8 } from '../../src/media/vp8-synthetic.js';
import { nowMs } from '../../src/metrics/clock.js';
import { AI_CHANNEL_LABEL, aiResultMessage, subtitleMessage } from '../../src/protocol/ai-channel.js';
import { frameKey } from '../../src/protocol/frame-key.js';
import { type BufferedFrame, FrameBuffer } from '../ai/frame-buffer.js';
import type { AiPipeline } from '../ai/pipeline.js';
import type { SpeechChain } from '../ai/speech/chain.js';
import { TranslatedVoice } from '../ai/speech/voice.js';
import type { ProcessedVideo } from '../ai/video-processor.js';
import { DelayLine } from './delay-line.js';
import { type Kind, Session, type SessionContext } from './session.js';

/**
 * Calibration (`sfu.burnCpuMsPerFrame`): keeps the event loop busy for `ms`, reading the clock, as real
 * per-frame work would (a decoder, a mixer); nothing else runs in the meantime.
 */
function burnCpu(ms: number): void {
  const untilMs = nowMs() + ms;
  while (nowMs() < untilMs) {
    // busy on purpose
  }
}

/** What a subscriber session is bound to: the packets of one publisher, here or on another worker. */
export interface Source {
  readonly id: string;
  /** closed: a subscriber bound to it now would get nothing */
  readonly isClosed: boolean;
  readonly kinds: Kind[];
  readonly subscribers: Set<SubscriberSession>;
  identityExtensions(kind: Kind): ExtensionIds;
  requestKeyframe(): void;
}

/** A publisher's packets and DataChannel messages on their way to another worker (cluster/pipe.ts). */
export interface PipeOut {
  send(kind: Kind, rtp: RtpPacket, key: string | undefined): void;
  sendText(message: string): void;
}

/** Hands one packet to every subscriber (its own copy each) and records the fan-out time. */
export function fanOutTo(
  ctx: SessionContext,
  subscribers: Set<SubscriberSession>,
  kind: Kind,
  rtp: RtpPacket,
  source: ExtensionIds,
  key: string | undefined,
): void {
  if (subscribers.size === 0) return;
  const startMs = nowMs();
  for (const subscriber of subscribers) subscriber.send(kind, rtp, source, key);
  const elapsedMs = nowMs() - startMs;
  ctx.forwardTrend.record(elapsedMs);
  ctx.metrics.forwardSeconds.observe(elapsedMs / 1000);
}

export class PublisherSession extends Session implements Source {
  readonly subscribers = new Set<SubscriberSession>();
  /** other workers holding some of this publisher's subscribers (multi-worker SFU) */
  readonly pipes = new Set<PipeOut>();
  private readonly ssrcByKind = new Map<Kind, number>();
  private readonly receivers = new Map<Kind, RTCRtpTransceiver>();
  private readonly extensionIds = new Map<Kind, ExtensionIds>();
  private readonly delayLine: DelayLine;
  /** audio: addDelayMs plus addAudioDelayMs (its own FIFO, so video never waits behind audio) */
  private readonly audioDelayLine: DelayLine;
  private lastPliMs = 0;
  private lastFrameIn = '';
  /** the AI hook of this publisher's video: frames are gathered, queued, processed (and forwarded, inline) */
  private ai: { buffer: FrameBuffer; pipeline: AiPipeline; inline: boolean } | undefined;
  /** inline AI: sequence numbers of the processed stream, contiguous whatever the hook dropped */
  private outSeq = 0;
  /** real video path: VP8 PictureID of the re-encoded stream */
  private pictureId = 0;
  /** the translation chain of this publisher's audio (subtitles to the subscribers) */
  private speech: SpeechChain | undefined;
  /** option B: the translated speech the subscribers hear instead of this publisher's audio (from its first packet) */
  private voice: TranslatedVoice | undefined;

  constructor(ctx: SessionContext, onClosed: (s: Session) => void) {
    super(ctx, onClosed);
    this.delayLine = new DelayLine(ctx.addDelayMs);
    this.audioDelayLine = new DelayLine(ctx.addDelayMs + ctx.addAudioDelayMs);
    const runtime = ctx.ai;
    if (runtime) {
      this.speech = runtime.speechChain(
        this.id,
        (n, text, translation) => {
          if (runtime.subtitles) this.toChannels(subtitleMessage(n, text, translation));
        },
        runtime.translatedSpeech ? (wav) => this.startVoice().say(wav) : undefined,
      );
    }
    if (runtime && runtime.options.stages.length > 0) {
      const pipeline = runtime.pipeline(
        this.id,
        (frame, output) => this.forwardProcessed(frame, output),
        () => this.requestPublisherKeyframe(),
        (record) => {
          // tap mode: the frames went out untouched; what the AI made of them follows on the DataChannel
          if (!runtime.inline) this.toChannels(aiResultMessage(record));
        },
      );
      this.ai = {
        pipeline,
        inline: runtime.inline,
        buffer: new FrameBuffer(
          (frame) => pipeline.submit(frame),
          () => undefined,
        ),
      };
    }
  }

  async start(offerSdp: string): Promise<string> {
    // werift announces tracks during setRemoteDescription, so listen before negotiating
    this.pc.ontrack = ({ track, transceiver }) => {
      const kind = transceiver.kind as Kind;
      this.receivers.set(kind, transceiver);
      this.extensionIds.set(kind, extensionIdsFrom(transceiver.headerExtensions));
      track.onReceiveRtp.subscribe((rtp) => {
        this.lastMediaMs = nowMs();
        this.onRtp(kind, rtp.header.ssrc, rtp);
      });
    };
    this.watchIdle();
    return this.negotiate(offerSdp, (transceivers) => {
      for (const transceiver of transceivers) transceiver.setDirection('recvonly');
    });
  }

  get kinds(): Kind[] {
    return [...this.receivers.keys()];
  }

  identityExtensions(kind: Kind): ExtensionIds {
    return this.extensionIds.get(kind) ?? {};
  }

  private onRtp(kind: Kind, ssrc: number, rtp: RtpPacket): void {
    // when the datagram was read from the socket (before SRTP and werift's work), else now
    const arrivalMs = datagramReadMs() ?? nowMs();
    this.ssrcByKind.set(kind, ssrc);
    const counters = this.ctx.metrics.byKind[kind];
    counters.packetsIn.inc();
    counters.bytesIn.inc(rtp.payload.length);
    let key: string | undefined;
    if (kind === 'video') {
      const identity = readIdentity(rtp.header.extensions, this.identityExtensions(kind));
      // without a frame-id extension (browsers), the publisher's RTP timestamp names the frame; receivers
      // that know it (browser pages read it from each decoded frame) join the stage times through it
      key = identity.id ? frameKey(identity.id) : `rtp:${this.id}:${rtp.header.timestamp}`;
      if (key !== this.lastFrameIn) {
        this.lastFrameIn = key;
        this.ctx.telemetry.push({ k: 'in', f: key, pub: this.id, ms: arrivalMs });
        // the burn stands for per-frame forwarding work: a frame no connected subscriber receives costs nothing
        // (an SFU burning before its subscribers connect could not finish their DTLS handshakes)
        if (this.ctx.burnCpuMsPerFrame > 0 && this.hasConnectedSubscriber()) burnCpu(this.ctx.burnCpuMsPerFrame);
      }
    }
    if (kind === 'audio' && this.speech) {
      this.speech.push(rtp.payload, arrivalMs);
      if (this.ctx.ai?.translatedSpeech) {
        this.startVoice(); // the subscribers hear the translation (and silence between), never the original
        return;
      }
    }
    if (kind === 'video' && this.ai && key !== undefined) {
      this.ai.buffer.push(rtp, key, arrivalMs);
      if (this.ai.inline) return; // forwarded when the hook is done with the frame
    }
    this.delayLineOf(kind).push(() => this.fanOut(kind, rtp, key));
  }

  private delayLineOf(kind: Kind): DelayLine {
    return kind === 'audio' ? this.audioDelayLine : this.delayLine;
  }

  private hasConnectedSubscriber(): boolean {
    if (this.pipes.size > 0) return true;
    for (const subscriber of this.subscribers) if (!subscriber.pending) return true;
    return false;
  }

  private startVoice(): TranslatedVoice {
    this.voice ??= new TranslatedVoice(
      (rtp) => this.audioDelayLine.push(() => this.fanOut('audio', rtp, undefined)),
      (message) => this.ctx.ai?.event(message),
    );
    return this.voice;
  }

  /**
   * Inline AI: the hook's output of one frame goes out now, renumbered so that drops leave no gap. On the real
   * video path the re-encoded VP8 is packetized afresh, with the input frame's RTP timestamp and identity
   * extensions (docs/architecture.md: the hook carries each frame's identity to its output).
   */
  private forwardProcessed(frame: BufferedFrame, output?: ProcessedVideo): void {
    if (output) {
      const first = frame.packets[0];
      if (!first) return;
      this.pictureId = (this.pictureId + 1) & 0x7fff;
      const payloads = packetizeVp8(output.data, this.pictureId);
      for (const [i, payload] of payloads.entries()) {
        const header = new RtpHeader({
          ...first.header,
          sequenceNumber: this.outSeq,
          marker: i === payloads.length - 1,
          extensions: first.header.extensions.map((e) => ({ ...e })),
        });
        this.outSeq = (this.outSeq + 1) & 0xffff;
        const rtp = new RtpPacket(header, payload);
        this.delayLine.push(() => this.fanOut('video', rtp, frame.key));
      }
      return;
    }
    for (const rtp of frame.packets) {
      rtp.header.sequenceNumber = this.outSeq;
      this.outSeq = (this.outSeq + 1) & 0xffff;
      this.delayLine.push(() => this.fanOut('video', rtp, frame.key));
    }
  }

  /** A DataChannel message (subtitle, AI result) to every subscriber, here and on other workers. */
  private toChannels(message: string): void {
    for (const subscriber of this.subscribers) subscriber.sendChannelMessage(message);
    for (const pipe of this.pipes) pipe.sendText(message);
  }

  private fanOut(kind: Kind, rtp: RtpPacket, key: string | undefined): void {
    // other workers first: their subscribers wait for the pipe as well as for their own fan-out
    for (const pipe of this.pipes) pipe.send(kind, rtp, key);
    fanOutTo(this.ctx, this.subscribers, kind, rtp, this.identityExtensions(kind), key);
  }

  /** Relays a keyframe request to the publisher, at most one per 200 ms (and to the AI hook's encoder). */
  requestKeyframe(): void {
    this.ai?.pipeline.requestKeyframe();
    this.requestPublisherKeyframe();
  }

  private requestPublisherKeyframe(): void {
    const ssrc = this.ssrcByKind.get('video');
    const transceiver = this.receivers.get('video');
    const now = nowMs();
    if (ssrc === undefined || !transceiver || now - this.lastPliMs < 200) return;
    this.lastPliMs = now;
    this.ctx.metrics.pliRelayed.inc();
    void transceiver.receiver.sendRtcpPLI(ssrc).catch(() => undefined);
  }

  protected override closeChildren(): void {
    this.delayLine.clear();
    this.audioDelayLine.clear();
    if (this.ai) {
      this.ai.buffer.clear();
      this.ctx.ai?.release(this.ai.pipeline);
    }
    this.speech?.close();
    this.voice?.close();
    this.pipes.clear();
    for (const subscriber of this.subscribers) void subscriber.close();
    this.subscribers.clear();
  }
}

export class SubscriberSession extends Session {
  private readonly senders = new Map<Kind, RTCRtpTransceiver>();
  private readonly extensionIds = new Map<Kind, ExtensionIds>();
  private lastFrameOut = '';
  /** the DataChannel the subscriber opened for AI results (tap mode), if it did */
  private aiChannel: RTCDataChannel | undefined;
  /** `sfu.rewriteRtp`: this subscriber's random shifts of the video's sequence numbers and RTP timestamps */
  private readonly rtpRewrite: { seqOffset: number; timestampOffset: number } | undefined;

  constructor(
    ctx: SessionContext,
    onClosed: (s: Session) => void,
    readonly publisher: Source,
  ) {
    super(ctx, onClosed);
    if (ctx.rewriteRtp)
      this.rtpRewrite = {
        seqOffset: randomInt(1, 0x10000),
        timestampOffset: randomInt(1, 0xffffffff),
      };
    this.pc.onDataChannel.subscribe((channel) => {
      if (channel.label === AI_CHANNEL_LABEL) this.aiChannel = channel;
    });
  }

  /** A message on the channel of the AI results: a subtitle of the translation chain (option A), an AI result. */
  sendChannelMessage(message: string): void {
    const channel = this.aiChannel;
    if (channel?.readyState !== 'open') return;
    try {
      channel.send(message);
    } catch {
      // a channel closing under us: the subscriber is leaving
    }
  }

  async start(offerSdp: string): Promise<string> {
    const answer = await this.negotiate(offerSdp, (transceivers) => {
      for (const transceiver of transceivers) {
        const kind = transceiver.kind as Kind;
        if (this.senders.has(kind) || !this.publisher.kinds.includes(kind)) {
          transceiver.setDirection('inactive');
          continue;
        }
        transceiver.setDirection('sendonly');
        void transceiver.sender.replaceTrack(new MediaStreamTrack({ kind }));
        this.senders.set(kind, transceiver);
        transceiver.sender.onRtcp.subscribe((rtcp) => {
          // PSFB FMT 1 is PLI, FMT 4 is FIR (RFC 4585 section 6.3, RFC 5104 section 4.3.1); REMB (15) is not a request
          if (
            rtcp instanceof RtcpPayloadSpecificFeedback &&
            [PictureLossIndication.count, 4].includes(rtcp.feedback.count)
          ) {
            this.publisher.requestKeyframe();
          }
        });
      }
    });
    for (const [kind, transceiver] of this.senders)
      this.extensionIds.set(kind, extensionIdsFrom(transceiver.headerExtensions));
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.publisher.requestKeyframe();
    });
    this.publisher.subscribers.add(this);
    return answer;
  }

  /** Sends our own copy of the packet, with identity extensions renumbered for this connection. */
  send(kind: Kind, rtp: RtpPacket, source: ExtensionIds, key: string | undefined): void {
    const transceiver = this.senders.get(kind);
    if (!transceiver) return;
    // a new header (werift's sendRtp rewrites it and keeps the packet for NACK); the payload is shared, never written
    const copy = rtp.clone();
    const extensions: RtpPacket['header']['extensions'] = [];
    const rewrite = this.rtpRewrite !== undefined && kind === 'video' ? this.rtpRewrite : undefined;
    if (rewrite) {
      // an SFU that rewrites RTP (calibration): its own sequence space and timeline, no glassbench extensions
      copy.header.sequenceNumber = (copy.header.sequenceNumber + rewrite.seqOffset) & 0xffff;
      copy.header.timestamp = (copy.header.timestamp + rewrite.timestampOffset) >>> 0;
    } else if (rtp.header.extensions.length > 0) {
      const target = this.extensionIds.get(kind);
      for (const ext of rtp.header.extensions) {
        let id: number | undefined;
        if (ext.id === source.frameId) id = target?.frameId;
        else if (ext.id === source.absCaptureTime) id = target?.absCaptureTime;
        if (id !== undefined) extensions.push({ id, payload: ext.payload });
      }
    }
    copy.header.extensions = extensions;
    void transceiver.sender.sendRtp(copy);
    const counters = this.ctx.metrics.byKind[kind];
    counters.packetsOut.inc();
    counters.bytesOut.inc(rtp.payload.length);
    if (key !== undefined && key !== this.lastFrameOut) {
      this.lastFrameOut = key;
      // `out` is when the encrypted datagram went to the kernel (see datagram-clock.ts), first packet of a frame only
      const sub = this.id;
      afterDatagramSent((ms) => this.ctx.telemetry.push({ k: 'out', f: key, sub, ms }));
    }
  }

  protected override closeChildren(): void {
    this.publisher.subscribers.delete(this);
  }
}

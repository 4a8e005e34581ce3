/**
 * Synthetic subscriber: one werift connection per publisher of its room (one WHEP session each); it
 * reassembles frames and reports when each one completed. Asked to (translated speech, A/V sync), it also receives
 * the audio, decodes it and reports where speech starts and where the A/V sync markers are.
 */
import { RTCPeerConnection } from 'werift';

import { OnsetDetector } from '../../media/audio-onset.js';
import { MarkerDetector } from '../../media/av-marker.js';
import { attachDatagramClock, datagramReadMs } from '../../media/datagram-clock.js';
import { FrameAssembler } from '../../media/frame-assembler.js';
import { LossCounter } from '../../media/loss-counter.js';
import { OPUS_RATE, OpusDecoder } from '../../media/opus.js';
import { extensionIdsFrom } from '../../media/rtp-identity.js';
import { peerConfig } from '../../media/werift-config.js';
import { nowMs } from '../../metrics/clock.js';
import { AI_CHANNEL_LABEL, parseAiResult } from '../../protocol/ai-channel.js';
import { frameKey } from '../../protocol/frame-key.js';
import type {
  ReceivedFrameRecord,
  StreamSourceSpec,
  SubscriberSpec,
  SubscriptionWindow,
} from '../../protocol/runner-ipc.js';
import { TypedEmitter } from '../events.js';
import { authOf, deleteSession } from '../signaling.js';
import type { Subscriber, SubscriberEvents } from '../types.js';
import { connectPeer, watchConnection } from './connect.js';
import { subscribeJanus } from './connect-janus.js';
import { QualitySampler } from './quality-sampler.js';

export interface SyntheticSubscriberOptions {
  /** what to receive, from where (the harness's start-subscriber command) */
  spec: SubscriberSpec;
}

interface Subscription {
  pc: RTCPeerConnection;
  loss: LossCounter;
  decoder?: OpusDecoder;
  resourceUrl?: string;
  /** a Janus subscription: leaves the feed and destroys its session */
  leaveJanus?: () => Promise<void>;
  window?: SubscriptionWindow;
  /** the first audio packet arrived (time_to_first_audio_ms) */
  firstAudioMs?: number;
  /** scenario `quality`: decodes the video and scores a sample of its frames */
  quality?: QualitySampler;
  /** receipts waiting behind a sampled frame's score, reported in order; undefined when none waits */
  reporting?: Promise<void>;
  /** stops the watch on its connection (liveness.ts) */
  unwatch?: () => void;
}

/**
 * Reports `received`, `stats` (packet loss only), `lost`, and when its spec asks, `aiResult`, `onset` and
 * `avMarker`; `error` only when its quality sampler's worker failed.
 */
export class SyntheticSubscriber extends TypedEmitter<SubscriberEvents> implements Subscriber {
  private readonly spec: SubscriberSpec;
  private readonly subscriptions: Subscription[] = [];
  private closed = false;
  private readonly statsTimer: NodeJS.Timeout;

  constructor(options: SyntheticSubscriberOptions) {
    super();
    this.spec = options.spec;
    // once a second, video packet loss on the path (before NACK repair) over the subscriber's connections
    this.statsTimer = setInterval(() => {
      for (const s of this.subscriptions) {
        if (!s.window) continue;
        const { lossPct } = s.loss.take();
        if (lossPct !== undefined)
          this.emit('stats', {
            ms: nowMs(),
            packetLossPct: lossPct,
            nackCount: 0,
            pliCount: 0,
            audioPacketsReceived: 0,
          });
      }
    }, 1000);
    this.statsTimer.unref();
  }

  async start(connectTimeoutMs: number): Promise<SubscriptionWindow[]> {
    await Promise.all(this.spec.sources.map((source) => this.subscribe(source, connectTimeoutMs)));
    return this.windows();
  }

  private async subscribe(source: StreamSourceSpec, connectTimeoutMs: number): Promise<void> {
    const { endpointUrl, publisherTag } = source;
    const subscription: Subscription = {
      pc: new RTCPeerConnection(peerConfig(this.spec.network)),
      loss: new LossCounter(),
    };
    this.subscriptions.push(subscription);
    const transceiver = subscription.pc.addTransceiver('video', { direction: 'recvonly' });
    const quality = this.spec.quality;
    if (quality?.sampleEvery && source.picture)
      subscription.quality = new QualitySampler({
        ...source.picture,
        sampleEvery: quality.sampleEvery,
        filter: quality.filter,
        onError: (message) => this.emit('error', message),
      });
    let sub = '';
    transceiver.onTrack.subscribe((track) => {
      const assembler = new FrameAssembler(extensionIdsFrom(transceiver.headerExtensions), (frame) => {
        const record: ReceivedFrameRecord = {
          peer: this.spec.peerId,
          sub,
          receivedMs: frame.receivedMs,
          firstPacketMs: frame.firstPacketMs,
          bytes: frame.bytes,
          keyframe: frame.keyframe,
        };
        if (frame.id) {
          record.f = frameKey(frame.id);
          if (frame.idMethod) record.identity = frame.idMethod;
        } else {
          // no frame id (a browser publisher, or real VP8 behind an SFU that strips extensions): the harness names
          // the frame by its RTP timestamp, through the offset it learns when the SFU rewrote timestamps
          record.rtpTs = frame.rtpTs;
          record.frameBytes = frame.frameBytes;
        }
        if (frame.captureMs !== undefined) record.captureMs = frame.captureMs;
        // a sampled frame is reported once it is scored (its times are already stamped), and the frames after it
        // wait behind it: receipts stay in their order, which freeze detection relies on
        const scored = subscription.quality?.complete(frame.rtpTs);
        if (!scored && !subscription.reporting) {
          this.emit('received', record);
          return;
        }
        const queued = (subscription.reporting ?? Promise.resolve()).then(async () => {
          const q = scored ? await scored : undefined;
          this.emit('received', q ? { ...record, ...q } : record);
        });
        subscription.reporting = queued;
        void queued.then(() => {
          if (subscription.reporting === queued) subscription.reporting = undefined;
        });
      });
      track.onReceiveRtp.subscribe((rtp) => {
        subscription.quality?.push(rtp);
        subscription.loss.push(rtp.header.sequenceNumber);
        // stamped when the datagram was read from the socket, before SRTP and werift's work
        assembler.push(rtp, datagramReadMs() ?? nowMs());
      });
    });
    if (this.spec.speechOnsets || this.spec.avSync) this.listen(subscription, () => sub);
    if (this.spec.aiResults) {
      // created before the offer, so the offer carries the data section the SFU answers
      const channel = subscription.pc.createDataChannel(AI_CHANNEL_LABEL);
      channel.onMessage.subscribe((data) => {
        const receivedMs = nowMs();
        const f = parseAiResult(data);
        if (f !== undefined) this.emit('aiResult', { f, peer: this.spec.peerId, sub, receivedMs });
      });
    }
    // the subscribe request's time (time_to_first_frame_ms): Janus's join, or WHEP's POST of the offer
    let requestMs = nowMs();
    if (source.janus) {
      const { token } = this.spec;
      const options = { url: endpointUrl, ...source.janus, timeoutMs: connectTimeoutMs };
      await subscribeJanus(subscription.pc, token === undefined ? options : { ...options, token }, (janus) => {
        attachDatagramClock(subscription.pc);
        sub = String(janus.handle);
        subscription.leaveJanus = janus.close;
      });
      subscription.window = { peer: this.spec.peerId, sub, publisherTag, requestMs, startMs: nowMs() };
      this.watch(subscription, endpointUrl, publisherTag);
      return;
    }
    await connectPeer(subscription.pc, endpointUrl, authOf(this.spec), connectTimeoutMs, (session) => {
      // the offer is made, so the candidates' sockets exist: hook them before any media arrives
      attachDatagramClock(subscription.pc);
      sub = session.sessionId;
      subscription.resourceUrl = session.resourceUrl;
      requestMs = session.requestMs;
    });
    subscription.window = { peer: this.spec.peerId, sub, publisherTag, requestMs, startMs: nowMs() };
    if (subscription.firstAudioMs !== undefined) subscription.window.firstAudioMs = subscription.firstAudioMs;
    this.watch(subscription, endpointUrl, publisherTag);
  }

  /** Watches a connected subscription (liveness.ts); the harness judges a lost one against its publisher. */
  private watch(subscription: Subscription, endpointUrl: string, publisherTag: number): void {
    const { silenceTimeoutMs } = this.spec;
    if (silenceTimeoutMs === undefined || this.closed) return;
    subscription.unwatch = watchConnection(subscription.pc, endpointUrl, silenceTimeoutMs, (lost) =>
      this.emit('lost', { ...lost, publisherTag }),
    );
  }

  /**
   * Receives the audio and decodes each packet in arrival order: speech onsets stamped on arrival; A/V sync markers
   * at the arrival plus the onset sample's offset in the packet (as if the packet played from when it arrived).
   */
  private listen(subscription: Subscription, sub: () => string): void {
    const decoder = new OpusDecoder();
    subscription.decoder = decoder;
    const peer = this.spec.peerId;
    const speech = this.spec.speechOnsets
      ? new OnsetDetector((ms, levelDbfs) => this.emit('onset', { peer, sub: sub(), ms, levelDbfs }))
      : undefined;
    const markers = this.spec.avSync
      ? new MarkerDetector(({ ms, id }) =>
          this.emit('avMarker', { peer, sub: sub(), ms, ...(id === undefined ? {} : { id }) }),
        )
      : undefined;
    let decoding: Promise<void> = Promise.resolve();
    const transceiver = subscription.pc.addTransceiver('audio', { direction: 'recvonly' });
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const arrivalMs = datagramReadMs() ?? nowMs();
        subscription.firstAudioMs ??= arrivalMs;
        if (subscription.window) subscription.window.firstAudioMs ??= subscription.firstAudioMs;
        decoding = decoding
          .then(async () => {
            if (this.closed) return;
            const pcm = await decoder.decode(rtp.payload);
            if (!pcm) return;
            speech?.push(pcm, arrivalMs);
            markers?.push(pcm, arrivalMs, OPUS_RATE);
          })
          .catch(() => undefined); // an undecodable packet is skipped, as a receiver would conceal it
      });
    });
  }

  windows(): SubscriptionWindow[] {
    return this.subscriptions.flatMap((s) => (s.window ? [s.window] : []));
  }

  /** Idempotent: marks the end of every window, ends the WHEP sessions, closes connections. */
  async close(): Promise<SubscriptionWindow[]> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.statsTimer);
      const endMs = nowMs();
      for (const s of this.subscriptions) {
        s.unwatch?.();
        if (s.window) s.window.endMs = endMs;
      }
      await Promise.all(
        this.subscriptions.map(async (s) => {
          try {
            if (s.resourceUrl) await deleteSession(s.resourceUrl, authOf(this.spec));
            await s.leaveJanus?.();
          } finally {
            // a signaling error must not leave the connection, the decoder or the quality worker open
            await s.pc.close().catch(() => undefined);
            await s.decoder?.close().catch(() => undefined);
            await s.quality?.close();
          }
        }),
      );
    }
    return this.windows();
  }
}

/**
 * Browser peers, Node side: each is one page of the runner's Chromium. Node does the WHIP/WHEP exchange
 * (the page makes the offer and applies the answer) and polls the page's records every 200 ms.
 */
import type { Page } from 'puppeteer-core';

import type { PageIceConfig, PageQualityOptions, PageRecords, PublisherOptions } from '../../browser/page/types.js';
import { describeError } from '../../errors.js';
import { ensureUtteranceWavs, UTTERANCES } from '../../media/utterances.js';
import { localBindAddress, offerFromBindAddress } from '../../media/werift-config.js';
import { nowMs } from '../../metrics/clock.js';
import type { AiFrameRecord } from '../../protocol/ai.js';
import type { PeerNetwork } from '../../protocol/peer-network.js';
import type {
  LostConnection,
  PublisherSpec,
  ReceivedFrameRecord,
  SentFrameRecord,
  StatsSample,
  StreamSourceSpec,
  SubscriberSpec,
  SubscriptionWindow,
} from '../../protocol/runner-ipc.js';
import { TypedEmitter } from '../events.js';
import { type JanusSubscription, type JanusTargetOptions, subscribeToFeed } from '../janus/videoroom.js';
import { SampledCounter, SilenceWatch } from '../liveness.js';
import { authOf, deleteSession, postOffer, type SignalingAuth, type SignalingSession } from '../signaling.js';
import type { Publisher, PublisherEvents, Subscriber, SubscriberEvents } from '../types.js';
import type { BrowserHost } from './browser-host.js';

type PageApi = {
  publisherOffer(options: PublisherOptions): Promise<string>;
  subscriberOffer(options?: {
    aiResults?: boolean;
    speechOnsets?: boolean;
    avSync?: boolean;
    ice?: PageIceConfig;
    quality?: PageQualityOptions;
  }): Promise<string>;
  subscriberAnswer(offerSdp: string, ice?: PageIceConfig): Promise<string>;
  connected(timeoutMs: number): Promise<void>;
  answer(sdp: string, timeoutMs: number): Promise<void>;
  stopSending(atMs?: number): void;
  take(): PageRecords;
  close(): void;
};
declare const glassbench: PageApi;

const POLL_INTERVAL_MS = 200;

/** getStats counters the page reports as totals (freezes are the harness's, src/metrics/freezes.ts) */
const COUNTERS = ['nackCount', 'pliCount', 'audioPacketsReceived'] as const;
type CounterName = (typeof COUNTERS)[number];

/** The page's share of the run's network settings (its RTCPeerConnection's ICE servers and policy). */
function pageIce(network: PeerNetwork | undefined): PageIceConfig {
  return { iceServers: network?.iceServers ?? [], iceTransportPolicy: network?.iceTransportPolicy ?? 'all' };
}

/** One page with one connection; the records it produces go to `onRecords`. */
class BrowserSession {
  page: Page | undefined;
  session: SignalingSession | undefined;
  janus: JanusSubscription | undefined;
  /** the subscribe request was sent (the offer's POST; Janus: the join), for time_to_first_frame_ms */
  requestMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private silence: SilenceWatch | undefined;
  private readonly heard = new SampledCounter();
  private closing = false;

  constructor(
    private readonly host: BrowserHost,
    private readonly onRecords: (records: PageRecords) => void,
    private readonly onError: (message: string) => void,
    private readonly network: PeerNetwork | undefined,
  ) {}

  async open(
    makeOffer: (page: Page) => Promise<string>,
    endpointUrl: string,
    auth: SignalingAuth,
    timeoutMs: number,
  ): Promise<SignalingSession> {
    this.page = await this.host.newPage();
    this.page.on('pageerror', (error) => this.onError(`page error: ${describeError(error)}`));
    const offer = offerFromBindAddress(await makeOffer(this.page), localBindAddress(this.network));
    this.session = await postOffer(endpointUrl, offer, auth);
    this.requestMs = this.session.requestMs;
    // the answer's candidates are used as they come: the target decides where media goes
    await this.page.evaluate((sdp, t) => glassbench.answer(sdp, t), this.session.answerSdp, timeoutMs);
    this.timer = setInterval(() => void this.poll(), POLL_INTERVAL_MS);
    return this.session;
  }

  /**
   * A server that offers (a Janus feed): Janus makes the offer, the page answers, `start` sends the answer, and
   * media connects. Resolves with the subscription (its handle names it).
   */
  async openJanus(options: JanusTargetOptions & { feed: number }, timeoutMs: number): Promise<JanusSubscription> {
    this.page = await this.host.newPage();
    this.page.on('pageerror', (error) => this.onError(`page error: ${describeError(error)}`));
    this.requestMs = nowMs();
    this.janus = await subscribeToFeed(options);
    const answer = await this.page.evaluate(
      (sdp, ice) => glassbench.subscriberAnswer(sdp, ice),
      this.janus.offerSdp,
      pageIce(this.network),
    );
    // as for an offer (open): only the host candidates on the bind address
    await this.janus.start(offerFromBindAddress(answer, localBindAddress(this.network)));
    await this.page.evaluate((t) => glassbench.connected(t), timeoutMs);
    this.timer = setInterval(() => void this.poll(), POLL_INTERVAL_MS);
    return this.janus;
  }

  async poll(): Promise<void> {
    if (!this.page || this.page.isClosed()) return;
    try {
      const records = await this.page.evaluate(() => glassbench.take());
      for (const error of records.errors) this.onError(error);
      this.host.recordPageLag(records.lag);
      this.onRecords(records);
      if (records.heard !== undefined) this.heard.update(records.heard);
      if (records.connectionState !== undefined) this.silence?.state(records.connectionState);
    } catch {
      // the page or browser is gone; the host reports that once
    }
  }

  /**
   * Once connected (liveness.ts): whether the page's connection heard anything (its count, sampled by the page
   * every second, grew), and its state, read with each poll; `failed` is lost at once.
   */
  watch(endpointUrl: string, silenceMs: number | undefined, onLost: (lost: LostConnection) => void): void {
    if (silenceMs === undefined || this.closing) return; // closed while it connected: nothing to watch
    this.silence = new SilenceWatch(endpointUrl, silenceMs, onLost, () => this.heard.probe());
  }

  async evaluate(fn: () => void): Promise<void> {
    await this.page?.evaluate(fn).catch(() => undefined);
  }

  async close(auth: SignalingAuth): Promise<void> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    this.silence?.stop();
    await this.poll();
    await this.evaluate(() => glassbench.close());
    if (this.session) await deleteSession(this.session.resourceUrl, auth);
    await this.janus?.close();
    await this.page?.close().catch(() => undefined);
  }
}

export interface BrowserPublisherOptions {
  /** what to publish, where (the harness's start-publisher command) */
  spec: PublisherSpec;
  /** the runner's Chromium, which opens the publisher's page */
  host: BrowserHost;
}

/** Reports every PublisherEvents event; `error` carries what the page threw or reported. */
export class BrowserPublisher extends TypedEmitter<PublisherEvents> implements Publisher {
  private readonly spec: PublisherSpec;
  private readonly browserSession: BrowserSession;
  streamId = '';

  constructor(options: BrowserPublisherOptions) {
    super();
    const { spec, host } = options;
    this.spec = spec;
    const texts = new Map(UTTERANCES.map((u) => [u.id, u.text]));
    this.browserSession = new BrowserSession(
      host,
      (records) => {
        for (const sent of records.sent) {
          const record: SentFrameRecord = {
            f: sent.f,
            peer: spec.peerId,
            captureMs: sent.captureMs,
            sentMs: sent.sentMs,
            bytes: sent.bytes ?? 0,
            keyframe: sent.keyframe ?? false,
          };
          if (sent.rtpTs !== undefined) record.rtpTs = sent.rtpTs;
          this.emit('sent', record);
        }
        // slots of the page's timetable it skipped (late), and frames drawn that its encoder never emitted
        for (const s of records.skipped)
          this.emit('skipped', {
            peer: spec.peerId,
            publisherTag: spec.publisherTag,
            captureMs: s.captureMs,
            reason: s.reason,
          });
        for (const r of records.edgeAi) {
          const record: AiFrameRecord = {
            k: 'ai',
            f: r.f,
            pub: spec.peerId,
            readyMs: r.readyMs,
            outcome: r.outcome,
            device: 'browser',
          };
          if (r.queueMs !== undefined) record.queueMs = r.queueMs;
          if (r.stages) record.stages = r.stages;
          if (r.hookMs !== undefined) record.hookMs = r.hookMs;
          if (r.reason !== undefined) record.reason = r.reason;
          this.emit('edgeAi', record);
        }
        for (const u of records.utterances)
          this.emit('utterance', {
            peer: spec.peerId,
            id: u.id,
            text: texts.get(u.id) ?? '',
            startMs: u.startMs,
            endMs: u.endMs,
          });
      },
      (message) => this.emit('error', message),
      spec.network,
    );
  }

  async start(connectTimeoutMs: number): Promise<void> {
    const { video, publisherTag } = this.spec;
    const options: PublisherOptions = {
      publisherTag,
      width: video.width,
      height: video.height,
      fps: video.fps,
      bitrateKbps: video.bitrateKbps,
      ice: pageIce(this.spec.network),
    };
    if (this.spec.identifyRtp) options.identifyRtp = true;
    if (video.texture) options.texture = true;
    if (this.spec.edgeAi) options.edge = this.spec.edgeAi;
    if (this.spec.avSync) options.avSync = true;
    if (this.spec.audio) {
      ensureUtteranceWavs();
      options.utterances = UTTERANCES.map((u) => ({ id: u.id, url: `/utterances/${u.id}.wav` }));
      options.utteranceIntervalMs = this.spec.audio.intervalMs;
    }
    const session = await this.browserSession.open(
      (page) => page.evaluate((o) => glassbench.publisherOffer(o), options),
      this.spec.endpointUrl,
      authOf(this.spec),
      connectTimeoutMs,
    );
    this.streamId = session.sessionId;
    this.browserSession.watch(this.spec.endpointUrl, this.spec.silenceTimeoutMs, (lost) => {
      this.stopSending();
      this.emit('lost', lost);
    });
  }

  /** Ends the page's timetable at `atMs` (default: when the page gets the call). */
  stopSending(atMs?: number): void {
    void this.browserSession.page?.evaluate((t) => glassbench.stopSending(t), atMs).catch(() => undefined);
  }

  close(): Promise<void> {
    return this.browserSession.close(authOf(this.spec));
  }
}

export interface BrowserSubscriberOptions {
  /** what to receive, from where (the harness's start-subscriber command) */
  spec: SubscriberSpec;
  /** the runner's Chromium, which opens one page per source */
  host: BrowserHost;
}

/** Reports every SubscriberEvents event; `error` carries what its pages threw or reported. */
export class BrowserSubscriber extends TypedEmitter<SubscriberEvents> implements Subscriber {
  private readonly spec: SubscriberSpec;
  private readonly host: BrowserHost;
  private readonly sessions: { session: BrowserSession; window?: SubscriptionWindow }[] = [];
  private closed = false;

  constructor(options: BrowserSubscriberOptions) {
    super();
    this.spec = options.spec;
    this.host = options.host;
  }

  async start(connectTimeoutMs: number): Promise<SubscriptionWindow[]> {
    await Promise.all(this.spec.sources.map((source) => this.subscribe(source, connectTimeoutMs)));
    return this.windows();
  }

  private async subscribe(source: StreamSourceSpec, connectTimeoutMs: number): Promise<void> {
    const { endpointUrl, publisherTag, janus } = source;
    let sub = '';
    let firstAudioMs: number | undefined;
    const totals: Record<CounterName, number> = {
      nackCount: 0,
      pliCount: 0,
      audioPacketsReceived: 0,
    };
    const session = new BrowserSession(
      this.host,
      (records) => {
        for (const r of records.received) {
          const record: ReceivedFrameRecord = { peer: this.spec.peerId, sub, bytes: 0, keyframe: false };
          if (r.renderedMs !== undefined) record.renderedMs = r.renderedMs;
          if (r.discarded) record.discarded = true;
          if (r.f !== undefined) {
            record.f = r.f;
            record.identity = 'marker';
          }
          if (r.rtpTs !== undefined) record.rtpTs = r.rtpTs;
          if (r.receivedMs !== undefined) record.receivedMs = r.receivedMs;
          if (r.captureMs !== undefined) record.captureMs = r.captureMs;
          if (r.markerReadMs !== undefined) record.markerReadMs = r.markerReadMs;
          if (r.psnrDb !== undefined) Object.assign(record, { psnrDb: r.psnrDb, ssim: r.ssim, qualityMs: r.qualityMs });
          this.emit('received', record);
        }
        for (const r of records.aiResults)
          this.emit('aiResult', { f: r.f, peer: this.spec.peerId, sub, receivedMs: r.receivedMs });
        for (const r of records.onsets)
          this.emit('onset', { peer: this.spec.peerId, sub, ms: r.ms, levelDbfs: r.levelDbfs });
        for (const r of records.avMarkers) this.emit('avMarker', { peer: this.spec.peerId, sub, ...r });
        firstAudioMs ??= records.firstAudio[0];
        if (entry.window && firstAudioMs !== undefined) entry.window.firstAudioMs ??= firstAudioMs;
        for (const s of records.stats) {
          // the page reports totals; the harness wants what each second added
          const sample = { ...s } as StatsSample;
          for (const key of COUNTERS) {
            const total = s[key] ?? 0;
            sample[key] = total - totals[key];
            totals[key] = total;
          }
          this.emit('stats', sample);
        }
      },
      (message) => this.emit('error', message),
      this.spec.network,
    );
    const entry: { session: BrowserSession; window?: SubscriptionWindow } = { session };
    this.sessions.push(entry);
    if (janus) {
      const { token } = this.spec;
      const target = { url: endpointUrl, ...janus, ...(token === undefined ? {} : { token }) };
      sub = String((await session.openJanus(target, connectTimeoutMs)).handle);
      entry.window = { peer: this.spec.peerId, sub, publisherTag, requestMs: session.requestMs, startMs: nowMs() };
      session.watch(endpointUrl, this.spec.silenceTimeoutMs, (lost) => this.emit('lost', { ...lost, publisherTag }));
      return;
    }
    const options = {
      aiResults: this.spec.aiResults === true,
      speechOnsets: this.spec.speechOnsets === true,
      avSync: this.spec.avSync === true,
      ice: pageIce(this.spec.network),
      ...(source.picture && this.spec.quality
        ? {
            quality: {
              ...source.picture,
              filter: this.spec.quality.filter,
              sampleEvery: this.spec.quality.sampleEvery ?? 1,
            },
          }
        : {}),
    };
    const signaled = await session.open(
      (page) => page.evaluate((o) => glassbench.subscriberOffer(o), options),
      endpointUrl,
      authOf(this.spec),
      connectTimeoutMs,
    );
    sub = signaled.sessionId;
    entry.window = { peer: this.spec.peerId, sub, publisherTag, requestMs: session.requestMs, startMs: nowMs() };
    if (firstAudioMs !== undefined) entry.window.firstAudioMs = firstAudioMs;
    session.watch(endpointUrl, this.spec.silenceTimeoutMs, (lost) => this.emit('lost', { ...lost, publisherTag }));
  }

  windows(): SubscriptionWindow[] {
    return this.sessions.flatMap((s) => (s.window ? [s.window] : []));
  }

  async close(): Promise<SubscriptionWindow[]> {
    if (!this.closed) {
      this.closed = true;
      const endMs = nowMs();
      for (const s of this.sessions) if (s.window) s.window.endMs = endMs;
      await Promise.all(this.sessions.map((s) => s.session.close(authOf(this.spec))));
    }
    return this.windows();
  }
}

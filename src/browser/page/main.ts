/**
 * Entry of the page bundle: one peer per page, driven from Node through `window.glassbench`.
 * Signaling (the WHIP/WHEP HTTP exchange) is done by Node; the page only makes offers and applies answers.
 */
import { FrameQuality } from './frame-quality.js';
import { HeardCounter } from './heard.js';
import { LagProbe } from './lag-probe.js';
import { PagePublisher } from './publisher.js';
import { StatsSampler } from './stats.js';
import { PageSubscriber } from './subscriber.js';
import type { PageIceConfig, PageQualityOptions, PageRecords, PublisherOptions } from './types.js';

const records: PageRecords = {
  aiResults: [],
  edgeAi: [],
  onsets: [],
  avMarkers: [],
  firstAudio: [],
  utterances: [],
  sent: [],
  skipped: [],
  received: [],
  stats: [],
  lag: [],
  errors: [],
};
// from the moment the bundle is in the page: a page's lag is the load generator's, whatever its role
const lagProbe = new LagProbe(records.lag).start();
let peer: PagePublisher | PageSubscriber | undefined;
let stats: StatsSampler | undefined;
let heard: HeardCounter | undefined;

function connected(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (pc.connectionState === 'connected') resolve();
      else if (pc.connectionState === 'failed' || pc.connectionState === 'closed')
        reject(new Error(`connection ${pc.connectionState}`));
    };
    pc.addEventListener('connectionstatechange', check);
    window.setTimeout(() => reject(new Error(`no media connection within ${timeoutMs} ms`)), timeoutMs);
    check();
  });
}

const api = {
  async publisherOffer(options: PublisherOptions): Promise<string> {
    const publisher = new PagePublisher(
      options,
      records.sent,
      records.skipped,
      records.utterances,
      (message) => records.errors.push(message),
      records.edgeAi,
    );
    peer = publisher;
    return publisher.createOffer();
  },
  async subscriberOffer(
    options: {
      aiResults?: boolean;
      speechOnsets?: boolean;
      avSync?: boolean;
      ice?: PageIceConfig;
      quality?: PageQualityOptions;
    } = {},
  ): Promise<string> {
    const subscriber = new PageSubscriber(
      records.received,
      (message) => records.errors.push(message),
      options.aiResults ? records.aiResults : undefined,
      options.speechOnsets ? records.onsets : undefined,
      options.ice,
      { firstAudio: records.firstAudio, ...(options.avSync ? { markers: records.avMarkers } : {}) },
    );
    if (options.quality) subscriber.quality = new FrameQuality(options.quality);
    peer = subscriber;
    stats = new StatsSampler(subscriber.pc, records.stats);
    return subscriber.createOffer();
  },
  /** A server that offers (Janus): the page answers the server's offer; `connected` then waits for media. */
  async subscriberAnswer(offerSdp: string, ice?: PageIceConfig): Promise<string> {
    const subscriber = new PageSubscriber(
      records.received,
      (message) => records.errors.push(message),
      undefined,
      undefined,
      ice,
    );
    peer = subscriber;
    stats = new StatsSampler(subscriber.pc, records.stats);
    return subscriber.answerOffer(offerSdp);
  },
  async connected(timeoutMs: number): Promise<void> {
    if (!peer) throw new Error('no offer was answered');
    await connected(peer.pc, timeoutMs);
    heard ??= new HeardCounter(peer.pc);
  },
  async answer(sdp: string, timeoutMs: number): Promise<void> {
    if (!peer) throw new Error('no offer was made');
    await peer.setAnswer(sdp);
    await connected(peer.pc, timeoutMs);
    heard ??= new HeardCounter(peer.pc);
    if (peer instanceof PagePublisher) peer.start();
  },
  /** ends the publisher's timetable at `atMs` (wall clock, shared with Node; default now) */
  stopSending(atMs?: number): void {
    if (peer instanceof PagePublisher) peer.stop(atMs);
  },
  take(): PageRecords {
    const taken = {
      aiResults: records.aiResults.splice(0),
      edgeAi: records.edgeAi.splice(0),
      onsets: records.onsets.splice(0),
      avMarkers: records.avMarkers.splice(0),
      firstAudio: records.firstAudio.splice(0),
      utterances: records.utterances.splice(0),
      sent: records.sent.splice(0),
      skipped: records.skipped.splice(0),
      received: records.received.splice(0),
      stats: records.stats.splice(0),
      lag: records.lag.splice(0),
      errors: records.errors.splice(0),
      ...(peer ? { connectionState: peer.pc.connectionState } : {}),
      ...(heard?.value === undefined ? {} : { heard: { ...heard.value } }),
    };
    return taken;
  },
  close(): void {
    stats?.stop();
    heard?.stop();
    lagProbe.stop();
    peer?.close();
  },
};

(window as unknown as { glassbench: typeof api }).glassbench = api;

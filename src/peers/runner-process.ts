/**
 * Peer runner: a child process that hosts synthetic peers so load spreads over cores. It obeys
 * RunnerCommands over IPC, sends frame records in batches every 100 ms and its CPU, RSS and event-loop delay
 * (and its Chromium's CPU and pages' main-thread lag) every second,
 * and exits when told to close or when the harness goes away (IPC disconnect): no orphans.
 */
import { CHILD_GRACE_MS, stopOnSigterm } from '../child-signals.js';
import { describeError } from '../errors.js';
import { ProcessTreeSampler } from '../metrics/process-tree.js';
import { ResourceSampler } from '../metrics/resources.js';
import type { AiFrameRecord } from '../protocol/ai.js';
import type {
  AiResultRecord,
  AvMarkerRecord,
  LostConnection,
  PublisherSpec,
  ReceivedFrameRecord,
  RunnerCommand,
  RunnerEvent,
  SentFrameRecord,
  SkippedFrameRecord,
  SpeechOnsetRecord,
  SubscriberSpec,
  UtteranceRecord,
} from '../protocol/runner-ipc.js';
import { BrowserHost } from './browser/browser-host.js';
import { BrowserPublisher, BrowserSubscriber } from './browser/browser-peers.js';
import { SyntheticPublisher } from './synthetic/publisher.js';
import { SyntheticSubscriber } from './synthetic/subscriber.js';
import type { Publisher, Subscriber } from './types.js';

const publishers = new Map<string, Publisher>();
const subscribers = new Map<string, Subscriber>();
const browserPeers = new Set<string>();
let browser: BrowserHost | undefined;
let browserTree: ProcessTreeSampler | undefined;

/** The runner's Chromium, started with its first browser peer. If it dies, its peers are reported failed. */
function browserHost(wsEndpoint: string | undefined): BrowserHost {
  if (!browser) {
    browser = new BrowserHost(wsEndpoint);
    browser.onDisconnected = (reason) => {
      for (const peerId of browserPeers) emit({ type: 'peer-failed', peerId, message: reason });
    };
  }
  return browser;
}

/** An error a peer survived: on stderr for whoever watches the run, and to the harness, which counts it. */
function peerError(peerId: string): (message: string) => void {
  return (message) => {
    process.stderr.write(`${peerId}: ${message}\n`);
    emit({ type: 'peer-error', peerId, message });
  };
}
/** A connection that went silent: its records so far go first, then the harness judges it. */
function lostConnection(peerId: string): (lost: LostConnection) => void {
  return (lost) => {
    process.stderr.write(`${peerId}: ${lost.message}\n`);
    flushRecords();
    emit({ type: 'connection-lost', peerId, ...lost });
  };
}

let sent: SentFrameRecord[] = [];
let skipped: SkippedFrameRecord[] = [];
let received: ReceivedFrameRecord[] = [];
let utterances: UtteranceRecord[] = [];
let aiResults: AiResultRecord[] = [];
let onsets: SpeechOnsetRecord[] = [];
let avMarkers: AvMarkerRecord[] = [];
let edgeAi: AiFrameRecord[] = [];

function emit(event: RunnerEvent): void {
  if (process.connected) process.send?.(event);
}

function flushRecords(): void {
  if (
    sent.length === 0 &&
    skipped.length === 0 &&
    received.length === 0 &&
    utterances.length === 0 &&
    aiResults.length === 0 &&
    onsets.length === 0 &&
    avMarkers.length === 0 &&
    edgeAi.length === 0
  )
    return;
  emit({ type: 'records', sent, skipped, received, utterances, aiResults, onsets, avMarkers, edgeAi });
  sent = [];
  skipped = [];
  received = [];
  utterances = [];
  aiResults = [];
  onsets = [];
  avMarkers = [];
  edgeAi = [];
}

const flushTimer = setInterval(flushRecords, 100);
const sampler = new ResourceSampler((s) => {
  const pid = browser?.pid;
  if (pid !== undefined && browserTree === undefined) browserTree = new ProcessTreeSampler(pid);
  const tree = browserTree?.sample();
  const lag = browser?.takePageLag();
  emit({
    type: 'resources',
    ...s,
    ...(tree
      ? { browserCpuPct: tree.cpuPct, browserMaxProcessCpuPct: tree.maxProcessCpuPct, browserRssMb: tree.rssMb }
      : {}),
    ...(lag ? { browserLoopDelayP99Ms: lag.p99Ms, browserLoopDelayMaxMs: lag.maxMs } : {}),
  });
}).start();

/** A publisher of the spec's kind, its records batched for the next flush and its errors reported. */
function newPublisher(spec: PublisherSpec): Publisher {
  let peer: Publisher;
  if (spec.kind === 'browser') {
    browserPeers.add(spec.peerId);
    peer = new BrowserPublisher({ spec, host: browserHost(spec.browserWSEndpoint) });
  } else {
    peer = new SyntheticPublisher({ spec });
  }
  return peer
    .on('sent', (r) => sent.push(r))
    .on('skipped', (r) => skipped.push(r))
    .on('utterance', (u) => utterances.push(u))
    .on('edgeAi', (r) => edgeAi.push(r))
    .on('lost', lostConnection(spec.peerId))
    .on('error', peerError(spec.peerId));
}

/** A subscriber of the spec's kind: records batched, stats samples sent as they come, errors reported. */
function newSubscriber(spec: SubscriberSpec): Subscriber {
  let peer: Subscriber;
  if (spec.kind === 'browser') {
    browserPeers.add(spec.peerId);
    peer = new BrowserSubscriber({ spec, host: browserHost(spec.browserWSEndpoint) });
  } else {
    peer = new SyntheticSubscriber({ spec });
  }
  return peer
    .on('received', (r) => received.push(r))
    .on('stats', (sample) => emit({ type: 'stats', peer: spec.peerId, sample }))
    .on('aiResult', (r) => aiResults.push(r))
    .on('onset', (r) => onsets.push(r))
    .on('avMarker', (r) => avMarkers.push(r))
    .on('lost', lostConnection(spec.peerId))
    .on('error', peerError(spec.peerId));
}

async function handle(command: RunnerCommand): Promise<void> {
  switch (command.type) {
    case 'start-publisher': {
      const { spec } = command;
      const peer = newPublisher(spec);
      publishers.set(spec.peerId, peer);
      try {
        await peer.start(command.connectTimeoutMs);
        emit({ type: 'publisher-ready', peerId: command.spec.peerId, streamId: peer.streamId });
      } catch (error) {
        emit({ type: 'peer-failed', peerId: command.spec.peerId, message: describeError(error) });
      }
      return;
    }
    case 'start-subscriber': {
      const { spec } = command;
      const peer = newSubscriber(spec);
      subscribers.set(spec.peerId, peer);
      try {
        const windows = await peer.start(command.connectTimeoutMs);
        emit({ type: 'subscriber-ready', peerId: command.spec.peerId, windows });
      } catch (error) {
        emit({ type: 'peer-failed', peerId: command.spec.peerId, message: describeError(error) });
      }
      return;
    }
    case 'stop-peer': {
      // a peer leaves on schedule (executors): a subscriber closes its sessions, a publisher stops and closes
      const subscriber = subscribers.get(command.peerId);
      const publisher = publishers.get(command.peerId);
      subscribers.delete(command.peerId);
      publishers.delete(command.peerId);
      browserPeers.delete(command.peerId);
      const windows = subscriber ? await subscriber.close().catch(() => []) : [];
      if (publisher) {
        publisher.stopSending();
        flushRecords();
        await publisher.close().catch(() => undefined);
      }
      flushRecords();
      emit({ type: 'peer-left', peerId: command.peerId, windows });
      return;
    }
    case 'stop-sending':
      for (const peer of publishers.values()) peer.stopSending(command.atMs);
      flushRecords();
      return;
    case 'close':
      await shutdown();
      return;
  }
}

let shuttingDown: Promise<void> | undefined;
function shutdown(): Promise<void> {
  shuttingDown ??= (async () => {
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    for (const peer of publishers.values()) peer.stopSending();
    const windows = (await Promise.all([...subscribers.values()].map((s) => s.close()))).flat();
    flushRecords();
    await Promise.all([...publishers.values()].map((p) => p.close()));
    flushRecords(); // what the publishers reported while closing (frames left in an encoder)
    await browser?.close();
    clearInterval(flushTimer);
    sampler.stop();
    emit({ type: 'closed', windows });
    process.disconnect?.();
    setImmediate(() => process.exit(0));
  })();
  return shuttingDown;
}

process.on('message', (command: RunnerCommand) => {
  handle(command).catch((error: unknown) => process.stderr.write(`peer runner: ${describeError(error)}\n`));
});
process.on('disconnect', () => {
  if (!shuttingDown) process.exit(0);
});
process.on('SIGINT', () => undefined); // the harness decides when we stop; Ctrl-C reaches the whole group
stopOnSigterm(
  () => void shutdown(),
  CHILD_GRACE_MS,
  () => emit({ type: 'signalled', signal: 'SIGTERM', stopsInMs: CHILD_GRACE_MS }),
);
emit({ type: 'ready' });

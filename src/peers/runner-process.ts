/**
 * Peer runner: a child process that hosts synthetic peers so load spreads over cores. It obeys
 * RunnerCommands over IPC, sends frame records in batches every 100 ms and its CPU/RSS every second,
 * and exits when told to close or when the harness goes away (IPC disconnect): no orphans.
 */
import { describeError } from '../errors.js';
import { ResourceSampler } from '../metrics/resources.js';
import { SyntheticPublisher } from './synthetic/publisher.js';
import { SyntheticSubscriber } from './synthetic/subscriber.js';
import type { ReceivedFrameRecord, RunnerCommand, RunnerEvent, SentFrameRecord } from './types.js';

const publishers = new Map<string, SyntheticPublisher>();
const subscribers = new Map<string, SyntheticSubscriber>();
let sent: SentFrameRecord[] = [];
let received: ReceivedFrameRecord[] = [];

function emit(event: RunnerEvent): void {
  if (process.connected) process.send?.(event);
}

function flushRecords(): void {
  if (sent.length === 0 && received.length === 0) return;
  emit({ type: 'records', sent, received });
  sent = [];
  received = [];
}

const flushTimer = setInterval(flushRecords, 100);
const sampler = new ResourceSampler((s) => emit({ type: 'resources', ...s })).start();

async function handle(command: RunnerCommand): Promise<void> {
  switch (command.type) {
    case 'start-publisher': {
      const peer = new SyntheticPublisher(command.spec, (r) => sent.push(r));
      publishers.set(command.spec.peerId, peer);
      try {
        await peer.start(command.connectTimeoutMs);
        emit({ type: 'publisher-ready', peerId: command.spec.peerId, streamId: peer.streamId });
      } catch (error) {
        emit({ type: 'peer-failed', peerId: command.spec.peerId, message: describeError(error) });
      }
      return;
    }
    case 'start-subscriber': {
      const peer = new SyntheticSubscriber(command.spec, (r) => received.push(r));
      subscribers.set(command.spec.peerId, peer);
      try {
        const windows = await peer.start(command.connectTimeoutMs);
        emit({ type: 'subscriber-ready', peerId: command.spec.peerId, windows });
      } catch (error) {
        emit({ type: 'peer-failed', peerId: command.spec.peerId, message: describeError(error) });
      }
      return;
    }
    case 'stop-sending':
      for (const peer of publishers.values()) peer.stopSending();
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
process.on('SIGTERM', () => void shutdown());
emit({ type: 'ready' });

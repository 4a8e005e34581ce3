/**
 * The reference external AI worker: serves the protocol of src/protocol/worker-protocol.ts on a Unix domain
 * socket and runs synthetic models (it spends the time the SFU drew for each call, like a device would). Calls
 * that arrive while a batch runs wait and form the next batch (up to --max-batch), as a GPU server batches.
 * Decoded pictures (`format: i420`) come back through the call's filter (`model: { filter }`, luma-filter.ts)
 * or unchanged. The smallest worker to start from is examples/workers/minimal-worker.ts; a PyTorch one is
 * examples/workers/torch_worker.py.
 *
 *   node dist/reference-server/ai/external-worker.js <socket path> [--max-batch N]
 *
 * It prints `ready <socket path>` (and tells its parent over IPC, when forked) once it listens, and exits on
 * SIGTERM/SIGINT (forked: when its parent goes away, or 10 s after a SIGTERM). A worker in another language implements the same few rules.
 */
import { rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';

import { CHILD_GRACE_MS, stopOnSigterm } from '../../src/child-signals.js';
import { filterLuma } from '../../src/media/luma-filter.js';
import { nowMs } from '../../src/metrics/clock.js';
import type { VideoFilter } from '../../src/protocol/ai.js';
import {
  type CallHeader,
  encodeMessage,
  i420Bytes,
  type Message,
  MessageReader,
  type ResultHeader,
} from '../../src/protocol/worker-protocol.js';
import { preciseSleep } from './scheduler.js';

const socketPath = process.argv[2];
const batchFlag = process.argv.indexOf('--max-batch');
const maxBatch = batchFlag > 0 ? Number(process.argv[batchFlag + 1]) : 8;
if (!socketPath || !Number.isInteger(maxBatch) || maxBatch < 1) {
  process.stderr.write('usage: external-worker <socket path> [--max-batch N>=1]\n');
  process.exit(2);
}

interface Waiting {
  socket: Socket;
  call: CallHeader;
  payload: Buffer;
  arrivedMs: number;
}

const waiting: Waiting[] = [];
let running = false;

/** the filters this worker applies to a decoded picture (luma-filter.ts) */
const FILTERS: readonly VideoFilter[] = ['blur', 'edges', 'noise'];

/** What is wrong with a call, or undefined when it is one this worker runs. */
function callProblem(header: unknown, payload: Buffer): string | undefined {
  const h = header as Partial<CallHeader>;
  const call =
    typeof h.id === 'number' &&
    typeof h.stage === 'string' &&
    typeof h.modelMs === 'number' &&
    Number.isFinite(h.modelMs) &&
    h.modelMs >= 0 &&
    h.modelMs < 60_000;
  if (!call) return 'not a call: needs id, stage and modelMs (0-60000)';
  const model: unknown = h.model;
  if (typeof model !== 'object' || model === null || Array.isArray(model))
    return 'not a call: needs a model object (e.g. {"filter":"blur"})';
  if ('filter' in model && !FILTERS.includes((model as { filter: unknown }).filter as VideoFilter))
    return `model.filter: expected one of ${FILTERS.join(', ')}`;
  if (h.format !== 'i420') return undefined;
  const { width, height } = h;
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 2 || (height as number) < 2)
    return 'format i420 needs whole width and height of at least 2 px';
  const bytes = i420Bytes(width as number, height as number);
  if (payload.length !== bytes)
    return `format i420 at ${width}x${height} is ${bytes} bytes of planar I420, got ${payload.length}`;
  return undefined;
}

/** A decoded picture through the call's filter (luma; chroma as it was), or unchanged for other models. */
function processed(call: CallHeader, picture: Buffer): Buffer {
  const filter = 'filter' in call.model ? call.model.filter : undefined;
  if (!filter) return picture;
  const { width = 0, height = 0 } = call;
  const out = Buffer.from(picture); // chroma copied with it
  filterLuma(out, picture, 0, width, width, height, filter, call.id);
  return out;
}

async function runBatches(): Promise<void> {
  if (running) return;
  running = true;
  while (waiting.length > 0) {
    const batch = waiting.splice(0, maxBatch);
    const startMs = nowMs();
    // a batch takes as long as its slowest call (the calls run together)
    await preciseSleep(Math.max(...batch.map((b) => b.call.modelMs)));
    const pictures = batch.map((b) => (b.call.format === 'i420' ? processed(b.call, b.payload) : undefined));
    const ms = nowMs() - startMs;
    for (const [i, { socket, call, arrivedMs }] of batch.entries()) {
      if (socket.destroyed) continue;
      const header: ResultHeader = { id: call.id, ok: true, ms, batch: batch.length, waitMs: startMs - arrivedMs };
      socket.write(encodeMessage(header, pictures[i]));
    }
  }
  running = false;
}

const server = createServer((socket) => {
  const reader = new MessageReader();
  socket.on('data', (chunk: Buffer) => {
    let messages: Message<unknown>[];
    try {
      messages = reader.push(chunk);
    } catch (error) {
      socket.destroy(error as Error);
      return;
    }
    for (const { header, payload } of messages) {
      const problem = callProblem(header, payload);
      if (problem !== undefined) {
        const id = typeof (header as { id?: unknown }).id === 'number' ? (header as { id: number }).id : 0;
        socket.write(encodeMessage({ id, ok: false, error: problem } satisfies ResultHeader));
        continue;
      }
      waiting.push({ socket, call: header as CallHeader, payload, arrivedMs: nowMs() });
    }
    void runBatches();
  });
  socket.on('error', () => socket.destroy());
});

function stop(): void {
  server.close();
  rmSync(socketPath as string, { force: true });
  process.exit(0);
}
// started by the SFU (an IPC channel): a signal to the run's process group reaches us too, and the SFU stops us
// when the run is drained (src/child-signals.ts); started by hand: either signal stops us
stopOnSigterm(stop, CHILD_GRACE_MS);
process.on('SIGINT', () => {
  if (!process.connected) stop();
});
process.on('disconnect', stop);

rmSync(socketPath, { force: true });
server.listen(socketPath, () => {
  process.stdout.write(`ready ${socketPath}\n`);
  process.send?.({ type: 'ready' });
});

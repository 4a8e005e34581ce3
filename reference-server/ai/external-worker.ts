/**
 * The reference external AI worker: serves the protocol of src/protocol/worker-protocol.ts on a Unix domain
 * socket and runs synthetic models (it spends the time the SFU drew for each call, like a device would). Calls
 * that arrive while a batch runs wait and form the next batch (up to --max-batch), as a GPU server batches.
 *
 *   node dist/reference-server/ai/external-worker.js <socket path> [--max-batch N]
 *
 * It prints `ready <socket path>` (and tells its parent over IPC, when forked) once it listens, and exits on
 * SIGTERM/SIGINT or when its parent goes away. A worker in another language implements the same few rules.
 */
import { rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';

import { nowMs } from '../../src/metrics/clock.js';
import {
  type CallHeader,
  encodeMessage,
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

const waiting: { socket: Socket; call: CallHeader }[] = [];
let running = false;

function isCall(header: unknown): header is CallHeader {
  const h = header as Partial<CallHeader>;
  return (
    typeof h.id === 'number' &&
    typeof h.stage === 'string' &&
    typeof h.modelMs === 'number' &&
    Number.isFinite(h.modelMs) &&
    h.modelMs >= 0 &&
    h.modelMs < 60_000
  );
}

async function runBatches(): Promise<void> {
  if (running) return;
  running = true;
  while (waiting.length > 0) {
    const batch = waiting.splice(0, maxBatch);
    const startMs = nowMs();
    // a batch takes as long as its slowest call (the calls run together)
    await preciseSleep(Math.max(...batch.map((b) => b.call.modelMs)));
    const ms = nowMs() - startMs;
    for (const { socket, call } of batch)
      if (!socket.destroyed) socket.write(encodeMessage({ id: call.id, ok: true, ms } satisfies ResultHeader));
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
    for (const { header } of messages) {
      if (!isCall(header)) {
        const id = typeof (header as { id?: unknown }).id === 'number' ? (header as { id: number }).id : 0;
        socket.write(
          encodeMessage({
            id,
            ok: false,
            error: 'not a call: needs id, stage and modelMs (0-60000)',
          } satisfies ResultHeader),
        );
        continue;
      }
      waiting.push({ socket, call: header });
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
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

rmSync(socketPath, { force: true });
server.listen(socketPath, () => {
  process.stdout.write(`ready ${socketPath}\n`);
  process.send?.({ type: 'ready' });
});

/**
 * The smallest external AI worker for the reference SFU's real video path (`ai.worker: { type: external,
 * format: i420, socket: PATH }`), in plain Node with nothing but `node:net`: copy it and put your model in
 * `processPicture`. It speaks the protocol of src/protocol/worker-protocol.ts (docs/reference-server.md):
 *
 *   u32 length of what follows | u16 header length | header (JSON) | payload
 *
 * A call's header names the picture (`format: "i420"`, `width`, `height`, the frame's key `f`, the stage's
 * `model`); its payload is the planar I420 picture. The answer carries the call's `id`, `ok`, the compute time
 * `ms` and the processed picture of the same size. This one answers each call on its own (`batch: 1`); see
 * examples/workers/torch_worker.py for one that batches.
 *
 *   npm run build && node dist/examples/workers/minimal-worker.js /tmp/my-worker.sock
 */
import { rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

// a standalone example takes no project imports, so not the project's clock module either
// eslint-disable-next-line no-restricted-properties
const now = (): number => performance.now();

const socketPath = process.argv[2];
if (!socketPath) {
  process.stderr.write('usage: minimal-worker <socket path>\n');
  process.exit(2);
}

/** Your model goes here: it gets the I420 picture and returns one of the same size (here: the darker half). */
function processPicture(picture: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(picture);
  for (let i = 0; i < width * height; i += 1) out[i] = (picture[i] as number) >> 1; // luma halved, chroma kept
  return out;
}

function send(socket: Socket, header: object, payload: Buffer = Buffer.alloc(0)): void {
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(6);
  head.writeUInt32BE(2 + json.length + payload.length, 0);
  head.writeUInt16BE(json.length, 4);
  socket.write(Buffer.concat([head, json, payload]));
}

function answer(socket: Socket, header: Record<string, unknown>, payload: Buffer): void {
  const id = typeof header['id'] === 'number' ? header['id'] : 0;
  const { width, height, format } = header;
  if (format !== 'i420' || typeof width !== 'number' || typeof height !== 'number') {
    send(socket, { id, ok: false, error: 'this worker takes format i420 calls with width and height' });
    return;
  }
  const bytes = width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
  if (payload.length !== bytes) {
    send(socket, {
      id,
      ok: false,
      error: `a ${width}x${height} I420 picture is ${bytes} bytes, got ${payload.length}`,
    });
    return;
  }
  const start = now();
  const picture = processPicture(payload, width, height);
  send(socket, { id, ok: true, ms: now() - start, batch: 1, waitMs: 0 }, picture);
}

const server = createServer((socket) => {
  let buffered: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 6) {
      const length = buffered.readUInt32BE(0);
      const headerLength = buffered.readUInt16BE(4);
      if (length > 32 * 1024 * 1024 || headerLength > length - 2) {
        socket.destroy(); // not the protocol: drop this connection, keep serving others
        return;
      }
      if (buffered.length < 4 + length) break;
      let header: unknown;
      try {
        header = JSON.parse(buffered.subarray(6, 6 + headerLength).toString('utf8'));
      } catch {
        socket.destroy();
        return;
      }
      const payload = buffered.subarray(6 + headerLength, 4 + length);
      buffered = buffered.subarray(4 + length);
      if (header !== null && typeof header === 'object' && !Array.isArray(header))
        answer(socket, header as Record<string, unknown>, payload);
      else socket.destroy();
    }
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

rmSync(socketPath, { force: true });
server.listen(socketPath, () => process.stdout.write(`ready ${socketPath}\n`));

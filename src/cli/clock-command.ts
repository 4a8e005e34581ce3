/**
 * `glassbench clock`: a time host, the reference SFU's `GET /clock` alone (src/protocol/clock.ts), for the
 * machine of an SFU glassbench did not write. Scenarios name it as `clock: { host: http://ADDR:PORT }` and each
 * shard estimates its clock offset against it. It tells nothing but the time, so it asks for no token. Runs
 * until Ctrl-C.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { GlassbenchError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { nowMs } from '../metrics/clock.js';
import type { ClockReply } from '../protocol/clock.js';
import { out } from './console.js';

export type ClockArgs = { host: string; port: number };

export async function clockCommand(args: ClockArgs): Promise<number> {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65_535)
    throw new GlassbenchError('INVALID_INPUT', `--port: must be a port number from 0 to 65535, got ${args.port}`);
  const server = createServer((req, res) => {
    // stamped first: everything the server does with the request counts as its hold time, not as path delay
    const receivedMs = nowMs();
    const path = new URL(req.url ?? '/', 'http://time-host').pathname;
    if (req.method !== 'GET' || path !== '/clock') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'this time host serves GET /clock only' } }));
      return;
    }
    const reply: ClockReply = { receivedMs, sentMs: nowMs() };
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(reply));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, args.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  out(`glassbench time host listening on http://${args.host}:${port} (GET /clock)`);
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return EXIT_CODES.ok;
}

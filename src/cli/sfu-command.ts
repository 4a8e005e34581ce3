/** `glassbench sfu`: the reference SFU on its own, until Ctrl-C. The one place the harness starts it by import. */
import { ReferenceServer } from '../../reference-server/server.js';
import { GlassbenchError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { out } from './console.js';
import { checkSfuNetwork, type SfuNetwork, type SfuNetworkArgs } from './network-args.js';

export type SfuArgs = SfuNetworkArgs & {
  token?: string;
  'add-delay-ms': number;
  'add-audio-delay-ms': number;
  'burn-cpu-ms-per-frame': number;
  'rewrite-rtp': boolean;
  workers: number;
  'subscribers-per-worker': number;
  'max-rooms': number;
  'max-sessions-per-room': number;
  'max-pending': number;
  'max-setups-per-second': number;
  'idle-timeout-ms': number;
};

/** The flags of `glassbench sfu`, checked before it starts: its network, or a GlassbenchError (exit 104). */
export function checkSfuFlags(args: SfuArgs): SfuNetwork {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65_535)
    throw new GlassbenchError('INVALID_INPUT', `--port: must be a port number from 0 to 65535, got ${args.port}`);
  for (const flag of [
    'workers',
    'subscribers-per-worker',
    'max-rooms',
    'max-sessions-per-room',
    'max-pending',
    'max-setups-per-second',
    'idle-timeout-ms',
  ] as const) {
    if (!Number.isInteger(args[flag]) || args[flag] < 1)
      throw new GlassbenchError('INVALID_INPUT', `--${flag}: must be a whole number, 1 or more, got ${args[flag]}`);
  }
  // as the scenario's sfu.workers: more worker processes than that is a mistake, not a bigger machine
  if (args.workers > 64) throw new GlassbenchError('INVALID_INPUT', `--workers: at most 64, got ${args.workers}`);
  const burn = args['burn-cpu-ms-per-frame'];
  if (!Number.isFinite(burn) || burn < 0 || burn > 1000)
    throw new GlassbenchError(
      'INVALID_INPUT',
      `--burn-cpu-ms-per-frame: must be a number of ms from 0 to 1000, got ${burn}`,
    );
  const audioDelay = args['add-audio-delay-ms'];
  if (!Number.isFinite(audioDelay) || audioDelay < 0 || audioDelay > 10_000)
    throw new GlassbenchError(
      'INVALID_INPUT',
      `--add-audio-delay-ms: must be a number of ms from 0 to 10000, got ${audioDelay}`,
    );
  const delay = args['add-delay-ms'];
  if (!Number.isFinite(delay) || delay < 0 || delay > 10_000)
    throw new GlassbenchError('INVALID_INPUT', `--add-delay-ms: must be a number of ms from 0 to 10000, got ${delay}`);
  return checkSfuNetwork(args);
}

export async function sfuCommand(args: SfuArgs): Promise<number> {
  const network = checkSfuFlags(args);
  const server = new ReferenceServer({
    workers: args.workers,
    subscribersPerWorker: args['subscribers-per-worker'],
    addDelayMs: args['add-delay-ms'],
    addAudioDelayMs: args['add-audio-delay-ms'],
    burnCpuMsPerFrame: args['burn-cpu-ms-per-frame'],
    rewriteRtp: args['rewrite-rtp'],
    maxRooms: args['max-rooms'],
    maxSessionsPerRoom: args['max-sessions-per-room'],
    maxPendingSessions: args['max-pending'],
    maxSetupsPerSecond: args['max-setups-per-second'],
    idleTimeoutMs: args['idle-timeout-ms'],
    ...(args.token ? { token: args.token } : {}),
    ...(network.announceAddress ? { announceAddress: network.announceAddress } : {}),
    ...(network.udpPortRange ? { udpPortRange: network.udpPortRange } : {}),
    ...(network.tls ? { tls: network.tls } : {}),
  });
  const port = await server.listen(network.port, network.host);
  const scheme = network.tls ? 'https' : 'http';
  out(`glassbench reference SFU listening on ${scheme}://${network.host}:${port}`);
  out(
    args.workers > 1
      ? `  ${args.workers} worker processes (a room spreads past ${args['subscribers-per-worker']} subscribers on one)`
      : '  1 worker: every session in this process',
  );
  if (network.announceAddress)
    out(`  ICE candidates announce ${network.announceAddress} (media binds ${network.host})`);
  if (network.udpPortRange) out(`  media on UDP ports ${network.udpPortRange.join('-')}`);
  out(`  WHIP: POST /whip/<room>   WHEP: POST /whep/<room>[?stream=<id>]   GET /metrics /healthz /stats /telemetry`);
  await new Promise<void>((done) => {
    const stop = (): void => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return EXIT_CODES.ok;
}

/**
 * A worker process of a multi-worker reference SFU (cluster/cluster-host.ts forks it; `WorkerStart` as JSON in
 * argv[2]). It holds the sessions the front places on it, with their UDP sockets, and a pipe socket to the other
 * workers; it answers the front's requests over IPC and relays its telemetry there. It exits when the front
 * tells it to, or when the front goes away (IPC disconnect), so a killed SFU leaves no worker behind.
 */
import { CHILD_GRACE_MS, stopOnSigterm } from '../../src/child-signals.js';
import { HttpError } from '../http-error.js';
import { LocalHost } from '../sfu/local-host.js';
import type { Kind } from '../sfu/session.js';
import type {
  CreateResult,
  FrontRequest,
  MetricsResult,
  PublisherDescription,
  StatsResult,
  WorkerEvent,
  WorkerReply,
  WorkerStart,
} from './ipc.js';
import { PipeEndpoint } from './pipe.js';

const start = JSON.parse(process.argv[2] ?? '{}') as WorkerStart;
const tell = (message: WorkerEvent | WorkerReply): void => {
  if (process.connected) process.send?.(message);
};
const host = new LocalHost(start.options, {
  worker: start.index,
  onSession: (id, state) => tell({ event: 'session', id, state }),
});
const pipes = new PipeEndpoint(host.ctx);
let detachTelemetry: (() => void) | undefined;

async function answer(request: FrontRequest): Promise<unknown> {
  switch (request.op) {
    case 'create': {
      const source = request.pipeId === undefined ? undefined : pipes.source(request.pipeId);
      if (request.pipeId !== undefined && !source)
        throw new HttpError(404, 'no_stream', `room ${request.roomId} has no such stream to subscribe to`);
      const created = await host.create(request, source);
      const result: CreateResult = { ...created, ...(host.has(created.id) ? {} : { closed: true }) };
      return result;
    }
    case 'remove':
      return host.remove(request.endpoint, request.roomId, request.sessionId);
    case 'pipe-out': {
      const publisher = host.publisher(request.publisherId);
      if (!publisher) throw new HttpError(404, 'no_stream', `no publisher ${request.publisherId} on this worker`);
      publisher.pipes.add(pipes.open(request.pipeId, request.port, () => publisher.requestKeyframe()));
      const extensions: PublisherDescription['extensions'] = {};
      for (const kind of publisher.kinds) extensions[kind as Kind] = publisher.identityExtensions(kind);
      const description: PublisherDescription = { kinds: publisher.kinds, extensions };
      return description;
    }
    case 'pipe-in':
      pipes.accept(request.pipeId, request.publisherId, request.port, request.description);
      return undefined;
    case 'pipe-close': {
      const pipe = pipes.closePipe(request.pipeId, request.direction);
      if (pipe) for (const room of host.rooms.values()) for (const p of room.publishers.values()) p.pipes.delete(pipe);
      return undefined;
    }
    case 'metrics': {
      const result: MetricsResult = await host.metrics.registry.getMetricsAsJSON();
      return result;
    }
    case 'stats': {
      const result: StatsResult = { forward: host.forwardTrend.state() };
      return result;
    }
    case 'telemetry':
      if (request.on) detachTelemetry ??= host.telemetry.attachWriter((text) => tell({ event: 'telemetry', text }));
      else {
        detachTelemetry?.();
        detachTelemetry = undefined;
      }
      return undefined;
    case 'close':
      await stop();
      return undefined;
  }
}

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= (async () => {
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    pipes.close();
    await host.close().catch(() => undefined);
  })();
  return stopping;
}

process.on('message', (request: FrontRequest) => {
  answer(request)
    .then((result) => tell({ id: request.id, ok: true, result }))
    .catch((error: unknown) => {
      const e =
        error instanceof HttpError ? error : new HttpError(500, 'internal', (error as Error)?.message ?? String(error));
      tell({ id: request.id, ok: false, status: e.status, code: e.errorCode, message: e.message, headers: e.headers });
    })
    .finally(() => {
      if (request.op === 'close') process.exit(0);
    });
});
process.on('disconnect', () => void stop().then(() => process.exit(0)));
// Ctrl-C reaches the whole process group: the front decides when its workers stop; a SIGTERM to the group too,
// a little after the front's own grace (src/child-signals.ts)
process.on('SIGINT', () => undefined);
stopOnSigterm(() => void stop().then(() => process.exit(0)), CHILD_GRACE_MS + 2000);
// the front went away while this process was loading: the disconnect came before its handler
if (!process.connected) void stop().then(() => process.exit(0));

Promise.all([pipes.bind(), host.start()])
  .then(([pipePort]) => tell({ event: 'ready', pipePort }))
  .catch((error: unknown) => {
    process.stderr.write(`glassbench sfu worker ${start.index}: ${(error as Error).message}\n`);
    process.exit(1);
  });

/**
 * Entry of the reference SFU as a child process of a run. Options come as JSON in argv[2]; readiness is
 * reported over IPC (`{ type: 'ready', port }`). It exits when told to, on SIGINT or SIGTERM without a parent
 * (with one: a second SIGTERM, or 30 s after the first), or when its parent goes away (IPC disconnect), so a killed harness leaves no SFU behind.
 */
import { CHILD_GRACE_MS, stopOnSigterm } from '../src/child-signals.js';
import { ReferenceServer } from './server.js';
import type { SfuOptions } from './sfu/types.js';

const options = JSON.parse(process.argv[2] ?? '{}') as SfuOptions & { port?: number };
const server = new ReferenceServer(options);

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    const force = setTimeout(() => process.exit(code), 3000);
    force.unref();
    await server.close().catch(() => undefined);
  }
  process.exit(code);
}

// a SIGTERM to the run's process group: the harness drains, then closes us (src/child-signals.ts)
stopOnSigterm(() => void stop(0), CHILD_GRACE_MS);
// As a child of a run, Ctrl-C reaches us too, but the harness decides when to stop (it drains first).
process.on('SIGINT', () => {
  if (!process.connected) void stop(0);
});
process.on('disconnect', () => void stop(0));
// the parent went away while this process was loading: the disconnect came before its handler
if (!process.connected) void stop(0);
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'close') void stop(0);
});

server
  .listen(options.port ?? 0, '127.0.0.1', options.alsoListenOn ?? [])
  .then((port) => process.send?.({ type: 'ready', port }))
  .catch((error: unknown) => {
    process.send?.({ type: 'error', message: (error as Error).message });
    process.exit(1);
  });

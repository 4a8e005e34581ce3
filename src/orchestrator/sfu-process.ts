/** Starts the reference SFU in a child process on a free loopback port, and stops it. */
import { type ChildProcess, fork } from 'node:child_process';

import { GlassbenchError } from '../errors.js';
import { childEntry } from '../project-paths.js';
import type { AiOptions } from '../protocol/ai.js';

export interface SfuProcess {
  baseUrl: string;
  pid: number;
  /** resolves once the process has exited */
  stop(): Promise<void>;
  /** true once the process has exited, whatever the reason */
  readonly exited: boolean;
}

const START_TIMEOUT_MS = 15_000;

export async function startReferenceSfu(
  options: {
    /** worker processes (SfuOptions.workers); absent: 1 */
    workers?: number;
    /** subscribers a worker takes of one room before it spreads (SfuOptions.subscribersPerWorker) */
    subscribersPerWorker?: number;
    addDelayMs: number;
    /** audio packets only, on top of addDelayMs (SfuOptions.addAudioDelayMs) */
    addAudioDelayMs?: number;
    burnCpuMsPerFrame?: number;
    rewriteRtp?: boolean;
    token?: string;
    ai?: AiOptions;
    alsoListenOn?: string[];
  },
  /** called when the SFU exits after it started, for whatever reason (stop() included) */
  onExit: (code: number | null, signal: NodeJS.Signals | null) => void = () => undefined,
): Promise<SfuProcess> {
  const child: ChildProcess = fork(childEntry('reference-server/main'), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new GlassbenchError('RUN_FAILED', `the reference SFU did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    child.on('message', (message: { type?: string; port?: number; message?: string }) => {
      if (message.type === 'ready' && message.port) {
        clearTimeout(timer);
        resolve(message.port);
      } else if (message.type === 'error') {
        clearTimeout(timer);
        reject(new GlassbenchError('RUN_FAILED', `the reference SFU failed to start: ${message.message}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new GlassbenchError('RUN_FAILED', `the reference SFU exited during start-up (code ${code})`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exitPromise;
    throw error;
  });
  child.once('exit', (code, signal) => onExit(code, signal));
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    get exited() {
      return exited;
    },
    async stop() {
      if (exited) return;
      if (child.connected) child.send({ type: 'close' });
      else child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}

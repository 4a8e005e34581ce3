/**
 * The peer-runner child processes of a run. The pool starts them, routes their events, and makes sure every
 * one has exited when it closes (a close that does not finish in time ends in SIGKILL).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';

import { GlassbenchError } from '../errors.js';
import { childEntry } from '../project-paths.js';
import type { RunnerCommand, RunnerEvent } from '../protocol/runner-ipc.js';

export class RunnerHandle {
  readonly name: string;
  /** the signal the runner said it got (a SIGTERM to the process group, say), if any */
  signalled: string | undefined;
  private exitedFlag = false;
  readonly exited: Promise<number | null>;

  constructor(
    readonly index: number,
    private readonly child: ChildProcess,
    onEvent: (runner: RunnerHandle, event: RunnerEvent) => void,
  ) {
    this.name = `runner-${index + 1}`;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitedFlag = true;
        resolve(code);
      }),
    );
    child.on('message', (event: RunnerEvent) => onEvent(this, event));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exitedFlag;
  }

  send(command: RunnerCommand): void {
    if (this.child.connected) this.child.send(command);
  }

  kill(): void {
    if (!this.exitedFlag) this.child.kill('SIGKILL');
  }
}

const START_TIMEOUT_MS = 15_000;

/** A runner to start: a plain child, or one inside a run's network namespace bound to its link address. */
export interface RunnerPlacement {
  netns?: string;
  address?: string;
}

export async function startRunners(
  placements: RunnerPlacement[],
  onEvent: (runner: RunnerHandle, event: RunnerEvent) => void,
  onExit: (runner: RunnerHandle, code: number | null) => void,
): Promise<RunnerHandle[]> {
  const entry = childEntry('src/peers/runner-process');
  const runners: RunnerHandle[] = [];
  const readiness: Promise<void>[] = [];
  for (const [i, placement] of placements.entries()) {
    // `ip netns exec` execs node in place (same pid), so the IPC channel and kill() work as with fork
    const child = placement.netns
      ? spawn('ip', ['netns', 'exec', placement.netns, process.execPath, entry], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          env: { ...process.env, GLASSBENCH_BIND_ADDRESS: placement.address ?? '' },
        })
      : fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const runner = new RunnerHandle(i, child, (r, event) => {
      if (event.type === 'ready') markReady();
      else onEvent(r, event);
    });
    runners.push(runner);
    void runner.exited.then((code) => onExit(runner, code));
    readiness.push(
      Promise.race([
        ready,
        runner.exited.then((code) => {
          throw new GlassbenchError('RUN_FAILED', `${runner.name} exited during start-up (code ${code})`);
        }),
        new Promise<never>((_, reject) =>
          setTimeout(
            () =>
              reject(new GlassbenchError('RUN_FAILED', `${runner.name} did not start within ${START_TIMEOUT_MS} ms`)),
            START_TIMEOUT_MS,
          ).unref(),
        ),
      ]),
    );
  }
  try {
    await Promise.all(readiness);
  } catch (error) {
    await closeRunners(runners, 0);
    throw error;
  }
  return runners;
}

/** Asks every runner to close, waits up to `graceMs`, then kills what is left. */
export async function closeRunners(runners: RunnerHandle[], graceMs = 8000): Promise<void> {
  for (const runner of runners) runner.send({ type: 'close' });
  const timer = setTimeout(() => runners.forEach((r) => r.kill()), graceMs);
  await Promise.all(runners.map((r) => r.exited));
  clearTimeout(timer);
}

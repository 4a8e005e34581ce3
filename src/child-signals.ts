/**
 * SIGTERM in a child process of a run (a peer runner, the reference SFU, an SFU worker, the external AI worker).
 * A SIGTERM to the process group (`kill -TERM -<pgid>`, an orchestrator stopping the run) reaches the parent too,
 * which drains the run and then closes its children in order. So a child whose parent is there waits for that
 * close (the frames in flight still arrive, and its exit is no fault), however long the parent's phase takes to
 * end (a connection phase waits for the connections in flight, up to `connectTimeout`). It stops by itself on a
 * second SIGTERM, when its parent goes away (each child's own handler of its IPC channel's `disconnect`), or, a
 * parent that hangs, after `graceMs`.
 * A child whose parent is gone stops at once.
 */
export function stopOnSigterm(stop: () => void, graceMs: number, onFirst?: () => void): void {
  let count = 0;
  process.on('SIGTERM', () => {
    count += 1;
    if (!process.connected || count > 1) return stop();
    onFirst?.();
    setTimeout(stop, graceMs).unref();
  });
}

/** How long a child waits for its parent's close after a SIGTERM, ms: a pod's default grace before SIGKILL. */
export const CHILD_GRACE_MS = 30_000;

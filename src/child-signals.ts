/**
 * SIGTERM in a child process of a run (a peer runner, the reference SFU, an SFU worker, the external AI worker). A SIGTERM to the process
 * group (`kill -TERM -<pgid>`, an orchestrator stopping the run) reaches the parent too, which drains the run and
 * then closes its children in order. So a child whose parent is there waits for that close (the frames in flight
 * still arrive, and its exit is no fault), and stops by itself only on a second SIGTERM or when no close has come
 * after `graceMs`. A child whose parent is gone stops at once.
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

/**
 * Where a multi-worker SFU puts new sessions: a room on the least loaded worker (its publishers stay there); a
 * subscriber on its room's worker until that worker holds `perWorker` subscribers of the room, then on the least
 * loaded other worker that holds fewer (the publisher's packets are piped to it), and when every worker holds that
 * many, on the least loaded one. Load is the number of sessions a worker holds.
 */
export interface WorkerLoad {
  index: number;
  /** false while the worker starts or restarts: nothing is placed on it */
  ready: boolean;
  sessions: number;
  rooms: number;
}

function leastLoaded(workers: WorkerLoad[]): WorkerLoad | undefined {
  let best: WorkerLoad | undefined;
  for (const w of workers) {
    if (!w.ready) continue;
    if (!best || w.sessions < best.sessions || (w.sessions === best.sessions && w.rooms < best.rooms)) best = w;
  }
  return best;
}

/** The worker a new room goes to, or undefined when none is ready. */
export function placeRoom(workers: WorkerLoad[]): number | undefined {
  return leastLoaded(workers)?.index;
}

/**
 * The worker a new subscriber goes to. `home`: the worker of its publisher; `roomSubscribers(i)`: how many
 * subscribers of the room worker i holds.
 */
export function placeSubscriber(
  workers: WorkerLoad[],
  home: number,
  roomSubscribers: (index: number) => number,
  perWorker: number,
): number | undefined {
  const homeWorker = workers.find((w) => w.index === home);
  if (homeWorker?.ready && roomSubscribers(home) < perWorker) return home;
  const others = workers.filter((w) => w.index !== home && roomSubscribers(w.index) < perWorker);
  return leastLoaded(others)?.index ?? leastLoaded(workers)?.index;
}

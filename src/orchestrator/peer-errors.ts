/** Errors peers survived, grouped by reason for the summary's `peers.errors`. */
import type { RunSummary } from '../report/summary.js';
import type { PeerError } from './peer-tracker.js';

type PeerErrors = NonNullable<RunSummary['peers']['errors']>;

/**
 * The reason of an error: its message with the numbers taken out (peer ids, ports, byte counts, times), so
 * the same failure on many peers is one reason.
 */
export function errorReason(message: string): string {
  return message.replace(/\d+(\.\d+)?/g, 'N');
}

/** Groups errors by reason, the most frequent first (ties: the first seen first); undefined without errors. */
export function groupPeerErrors(errors: PeerError[]): PeerErrors | undefined {
  if (errors.length === 0) return undefined;
  const byReason = new Map<string, { reason: string; count: number; peers: string[] }>();
  for (const { peer, message } of errors) {
    const reason = errorReason(message);
    const group = byReason.get(reason) ?? byReason.set(reason, { reason, count: 0, peers: [] }).get(reason);
    if (!group) continue;
    group.count += 1;
    if (!group.peers.includes(peer)) group.peers.push(peer);
  }
  // a stable sort keeps first-seen order among equal counts
  const reasons = [...byReason.values()].sort((a, b) => b.count - a.count);
  return { count: errors.length, reasons };
}

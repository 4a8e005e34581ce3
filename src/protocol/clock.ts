/**
 * `GET /clock`: one NTP-style exchange (RFC 5905's on-wire idea over HTTP). The server answers with its own
 * clock's reading when the request arrived and when it sent the answer; the client keeps its own send and
 * receive times. Served by the reference SFU (reference-server/server.ts) and by `glassbench clock` (a time
 * host beside an SFU glassbench did not write); read by src/orchestrator/clock-sync.ts.
 */
export interface ClockReply {
  /** the server's nowMs() when the request was read */
  receivedMs: number;
  /** the server's nowMs() just before the answer was written */
  sentMs: number;
}

/** Whether a parsed body is a ClockReply (checked where the network's answer enters). */
export function isClockReply(body: unknown): body is ClockReply {
  if (body === null || typeof body !== 'object') return false;
  const { receivedMs, sentMs } = body as Record<string, unknown>;
  return (
    typeof receivedMs === 'number' &&
    typeof sentMs === 'number' &&
    Number.isFinite(receivedMs) &&
    Number.isFinite(sentMs) &&
    sentMs >= receivedMs
  );
}

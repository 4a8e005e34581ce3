/** Reads the reference SFU's per-frame telemetry stream (`GET /telemetry`, NDJSON) into a callback. */
import { describeRequestError, openRequest } from '../network/http-client.js';
import type { SignalingAuth } from '../peers/signaling.js';
import type { TelemetryRecord } from '../protocol/telemetry.js';
import { MAX_TELEMETRY_LINE_CHARS, parseTelemetryLine } from './telemetry-lines.js';

export interface TelemetryClient {
  /** lines refused (not a record of a known kind with its fields' types): counted, never guessed at */
  readonly badLines: number;
  /** why the first of them was refused, with its start */
  readonly firstBadLine: string | undefined;
  close(): void;
}

/** how long the SFU may take to answer the stream's headers, ms (a host that vanished must not hold a run) */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * `onEnd`: the stream ended without close() (the SFU went away, the connection dropped). `signal` gives up an
 * opening that has not answered yet (the run is closing).
 */
export async function connectTelemetry(
  baseUrl: string,
  /** the SFU's Bearer token, and a private CA for an https SFU (`--ca`, `target.ca`), as signaling has them */
  auth: SignalingAuth,
  onRecord: (record: TelemetryRecord) => void,
  onEnd?: () => void,
  signal?: AbortSignal,
): Promise<TelemetryClient> {
  const controller = new AbortController();
  const url = `${baseUrl}/telemetry`;
  const giveUp = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', giveUp, { once: true });
  const headersTimer = setTimeout(
    () => controller.abort(new Error(`no answer within ${HEADERS_TIMEOUT_MS} ms`)),
    HEADERS_TIMEOUT_MS,
  );
  let response;
  try {
    response = await openRequest(url, {
      headers: auth.token ? { authorization: `Bearer ${auth.token}` } : {},
      signal: controller.signal,
      ...(auth.caFile ? { caFile: auth.caFile } : {}),
    });
  } catch (error) {
    signal?.removeEventListener('abort', giveUp);
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    throw new Error(`GET ${url} failed: ${describeRequestError(reason, auth.caFile)}`, { cause: error });
  } finally {
    clearTimeout(headersTimer);
  }
  signal?.removeEventListener('abort', giveUp);
  if (response.statusCode !== 200) {
    response.resume();
    throw new Error(`GET /telemetry answered ${response.statusCode ?? 0}`);
  }
  let badLines = 0;
  let firstBad: string | undefined;
  let rest = '';
  /** the rest of a line already refused as too long is dropped up to its end */
  let discarding = false;
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    let text = rest + chunk;
    if (discarding) {
      const end = text.indexOf('\n');
      if (end < 0) return;
      text = text.slice(end + 1);
      discarding = false;
    }
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    // a line that never ends is refused (once) when it is too long to be one, not held in memory
    if (rest.length > MAX_TELEMETRY_LINE_CHARS) {
      lines.push(rest);
      rest = '';
      discarding = true;
    }
    for (const line of lines) {
      if (line === '') continue;
      let record: TelemetryRecord | 'hello';
      try {
        record = parseTelemetryLine(line);
      } catch (error) {
        badLines += 1;
        firstBad ??= `${(error as Error).message}: ${line.slice(0, 120)}`;
        continue;
      }
      if (record === 'hello') continue;
      try {
        onRecord(record);
      } catch (error) {
        badLines += 1;
        firstBad ??= `the harness could not use it (${(error as Error).message}): ${line.slice(0, 120)}`;
      }
    }
  });
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    if (!controller.signal.aborted) onEnd?.();
  };
  // the stream ends with close(), when the SFU stops, or when the connection drops
  response.on('end', end);
  response.on('close', end);
  response.on('error', end);
  return {
    get badLines() {
      return badLines;
    },
    get firstBadLine() {
      return firstBad;
    },
    close: () => controller.abort(),
  };
}

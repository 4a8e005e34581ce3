/** Reads the reference SFU's per-frame telemetry stream (`GET /telemetry`, NDJSON) into a callback. */
import { describeRequestError, openRequest } from '../network/http-client.js';
import type { SignalingAuth } from '../peers/signaling.js';
import type { TelemetryRecord } from '../protocol/telemetry.js';

export interface TelemetryClient {
  /** records that could not be parsed (counted, never guessed) */
  readonly badLines: number;
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
  let rest = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') continue;
      try {
        const record = JSON.parse(line) as TelemetryRecord | { k: 'hello' };
        if (record.k !== 'hello') onRecord(record);
      } catch {
        badLines += 1;
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
    close: () => controller.abort(),
  };
}

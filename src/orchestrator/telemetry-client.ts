/** Reads the reference SFU's per-frame telemetry stream (`GET /telemetry`, NDJSON) into a callback. */
import type { TelemetryRecord } from '../protocol/telemetry.js';

export interface TelemetryClient {
  /** records that could not be parsed (counted, never guessed) */
  readonly badLines: number;
  close(): void;
}

/** `onEnd`: the stream ended without close() (the SFU went away, the connection dropped). */
export async function connectTelemetry(
  baseUrl: string,
  token: string | undefined,
  onRecord: (record: TelemetryRecord) => void,
  onEnd?: () => void,
): Promise<TelemetryClient> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/telemetry`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: controller.signal,
  });
  if (!response.ok || !response.body) throw new Error(`GET /telemetry answered ${response.status}`);
  let badLines = 0;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const lines = (rest + value).split('\n');
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
    }
  })()
    .catch(() => undefined) // the stream ends with an abort or when the SFU stops
    .then(() => {
      if (!controller.signal.aborted) onEnd?.();
    });
  return {
    get badLines() {
      return badLines;
    },
    close: () => controller.abort(),
  };
}

/**
 * `frames.ndjson.gz`: one JSON line per received frame (and, with the translation chain, one per utterance
 * per receiver, marked `kind: 'speech'`), gzip-compressed as it is written. The stream is
 * sync-flushed every second, so a run that dies half way still leaves every frame recorded so far readable.
 */
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { constants, createGunzip, createGzip, type Gzip } from 'node:zlib';

import type { FrameRecord, SpeechSampleRecord } from '../metrics/types.js';
import type { Sink } from './types.js';

/** Frames and speech samples only: stats, resources and the summary have files of their own. */
export class FramesFile implements Sink {
  private readonly gzip: Gzip;
  private readonly file: WriteStream;
  private readonly done: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  count = 0;

  constructor(readonly path: string) {
    this.gzip = createGzip();
    this.file = createWriteStream(path);
    this.gzip.pipe(this.file);
    this.done = new Promise((resolve, reject) => {
      this.file.on('close', resolve);
      this.file.on('error', reject);
    });
    this.timer = setInterval(() => this.gzip.flush(constants.Z_SYNC_FLUSH), 1000);
    this.timer.unref();
  }

  writeFrame(record: FrameRecord): void {
    this.write(record);
  }

  writeSpeech(record: SpeechSampleRecord): void {
    this.write(record);
  }

  writeStats(): void {}

  writeResources(): void {}

  /**
   * The summary is the run's last word: nothing is recorded after it, so the file is finished here, before the
   * slower sinks (InfluxDB) send theirs, and a second Ctrl-C during those sends cannot cut it short.
   */
  async writeSummary(): Promise<void> {
    await this.close();
  }

  private write(record: FrameRecord | SpeechSampleRecord): void {
    if (this.closed) return;
    this.count += 1;
    this.gzip.write(`${JSON.stringify(record)}\n`);
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.timer);
      this.gzip.end();
    }
    await this.done;
  }
}

/**
 * Every record of a frames.ndjson.gz, in file order; nothing when there is no file. A line cut off by a run
 * that died is skipped and a gzip stream cut off mid-block ends the reading: what was written is kept. Any
 * other read error is thrown.
 */
export async function readFramesFile(path: string, onRecord: (record: Record<string, unknown>) => void): Promise<void> {
  if (!existsSync(path)) return;
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      onRecord(record);
    }
  } catch (error) {
    if (!/unexpected end of file/i.test((error as Error).message)) throw error;
  }
}

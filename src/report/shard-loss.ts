/**
 * Which shards of a merged run (`report --influx --testid`) did not finish: a shard tagged `i/n` that wrote
 * frame points but no summary (killed, or its machine lost, before the end), and a shard of the `n` that wrote
 * nothing at all. A merge without them would be silently smaller; with them named, the run is marked partial
 * and what the lost shards had written is still counted.
 */
type Row = Record<string, unknown>;

export interface ShardLoss {
  /** every shard that wrote anything, sorted */
  seen: string[];
  /** shards with frame points and no summary */
  incomplete: string[];
  /** shards of `i/n` that wrote nothing */
  missing: string[];
}

const shardOf = (row: Row): string => (typeof row['shard'] === 'string' ? row['shard'] : '');

export function shardLoss(summaryRows: Row[], records: Row[]): ShardLoss {
  const finished = new Set(summaryRows.map(shardOf));
  const seen = [...new Set([...finished, ...records.map(shardOf)])].filter((s) => s !== '' || finished.has(s));
  seen.sort((a, b) => Number(a.split('/')[0]) - Number(b.split('/')[0]) || a.localeCompare(b));
  const counts = seen.map((s) => /^\d+\/(\d+)$/.exec(s)?.[1]).filter((n): n is string => n !== undefined);
  const of = counts.length > 0 ? Math.max(...counts.map(Number)) : 0;
  const missing: string[] = [];
  for (let i = 1; i <= of; i += 1) if (!seen.includes(`${i}/${of}`)) missing.push(`${i}/${of}`);
  return { seen, incomplete: seen.filter((s) => !finished.has(s)), missing };
}

/** The sentence a merged summary's error and notes carry, or undefined when every shard finished. */
export function shardLossMessage(loss: ShardLoss, framesOf: (shard: string) => number): string | undefined {
  const parts: string[] = [];
  if (loss.incomplete.length > 0)
    parts.push(
      `shard ${loss.incomplete.map((s) => `${s} (${framesOf(s)} frame points)`).join(', ')} wrote no summary: it ended before the run did; its frames are counted in the latencies and in frames_received, its other counters (frames_sent, frames_lost, ...) are unknown`,
    );
  if (loss.missing.length > 0)
    parts.push(
      `shard ${loss.missing.join(', ')} wrote nothing to InfluxDB (never started, or its points were never pushed)`,
    );
  return parts.length > 0 ? `partial run: ${parts.join('; ')}` : undefined;
}

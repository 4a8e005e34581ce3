/** The InfluxDB flags shared by `run` and `compare`, checked where they enter. */
import { GlassbenchError } from '../errors.js';
import type { InfluxOptions } from '../sinks/types.js';

export interface InfluxArgs {
  tag?: string[];
  'influx-url'?: string;
  'influx-token'?: string;
  'influx-org'?: string;
  'influx-bucket'?: string;
  'influx-db'?: string;
}

/** `--tag key=value` (repeatable) as a record; keys and values as InfluxDB tags allow. */
export function parseTags(list: string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const item of list ?? []) {
    const match = /^([A-Za-z][A-Za-z0-9_]{0,63})=([^\s,="]{1,200})$/.exec(item);
    if (!match)
      throw new GlassbenchError(
        'INVALID_INPUT',
        `--tag ${item}: expected key=value (letters, digits, _ in the key; no spaces, commas, = or quotes in the value)`,
      );
    const key = match[1] as string;
    if (['testid', 'scenario', 'placement', 'peer_kind', 'metric', 'variant', 'shard'].includes(key))
      throw new GlassbenchError('INVALID_INPUT', `--tag ${item}: ${key} is a tag glassbench sets itself`);
    tags[key] = match[2] as string;
  }
  return tags;
}

export function influxFrom(args: InfluxArgs): InfluxOptions | undefined {
  const url = args['influx-url'];
  const tags = parseTags(args.tag);
  const withTags = <T extends InfluxOptions>(o: T): T => (Object.keys(tags).length > 0 ? { ...o, tags } : o);
  const others = ['influx-token', 'influx-org', 'influx-bucket', 'influx-db'] as const;
  if (!url) {
    const stray = others.find((k) => args[k] !== undefined);
    if (stray) throw new GlassbenchError('INVALID_INPUT', `--${stray} needs --influx-url`);
    return undefined;
  }
  if (!/^https?:\/\/[^\s]+$/.test(url))
    throw new GlassbenchError('INVALID_INPUT', `--influx-url must be an http(s) URL, got ${url}`);
  if (args['influx-db'] !== undefined) {
    if (args['influx-bucket'] !== undefined || args['influx-org'] !== undefined) {
      throw new GlassbenchError(
        'INVALID_INPUT',
        '--influx-db (v1) cannot be combined with --influx-org/--influx-bucket (v2)',
      );
    }
    return withTags({ url, db: args['influx-db'], ...(args['influx-token'] ? { token: args['influx-token'] } : {}) });
  }
  if (!args['influx-bucket'] || !args['influx-org']) {
    throw new GlassbenchError(
      'INVALID_INPUT',
      '--influx-url needs either --influx-db (v1) or --influx-org and --influx-bucket (v2)',
    );
  }
  return withTags({
    url,
    org: args['influx-org'],
    bucket: args['influx-bucket'],
    ...(args['influx-token'] ? { token: args['influx-token'] } : {}),
  });
}

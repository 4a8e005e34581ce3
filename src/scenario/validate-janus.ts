/**
 * `target: { janus: URL, room: N, token?, createRooms? }`: a Janus VideoRoom (docs/janus.md). Checked here so
 * the WHIP/WHEP target's checks in validate.ts stay as they are.
 */
import { Problems, show } from './problems.js';
import type { JanusTarget, PeerGroup } from './types.js';

const JANUS_KEYS = ['janus', 'room', 'token', 'createRooms'] as const;

/** Janus room ids are unsigned 64-bit numbers in its API; JSON numbers above 2^53 would lose digits here. */
const MAX_ROOM = Number.MAX_SAFE_INTEGER;

export function toJanusTarget(problems: Problems, raw: Record<string, unknown>): JanusTarget {
  for (const key of Object.keys(raw)) {
    if (!(JANUS_KEYS as readonly string[]).includes(key))
      problems.add(['target', key], `unknown key; a Janus target has ${JANUS_KEYS.join(', ')}`, { key: true });
  }
  const url = raw['janus'];
  if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url))
    problems.add(['target', 'janus'], `must be the http(s) URL of the Janus API (…/janus), got ${show(url)}`);
  const room = raw['room'];
  if (typeof room !== 'number' || !Number.isInteger(room) || room < 1 || room > MAX_ROOM)
    problems.add(['target', 'room'], `must be a Janus room number (an integer from 1), got ${show(room)}`);
  const token = raw['token'];
  if (token !== undefined && typeof token !== 'string') problems.add(['target', 'token'], 'must be a string');
  const createRooms = raw['createRooms'];
  if (createRooms !== undefined && typeof createRooms !== 'boolean')
    problems.add(['target', 'createRooms'], `must be true or false, got ${show(createRooms)}`);
  const target: JanusTarget = {
    type: 'janus',
    url: typeof url === 'string' ? url.replace(/\/+$/, '') : '',
    room: typeof room === 'number' ? room : 1,
    createRooms: createRooms !== false,
  };
  if (typeof token === 'string') target.token = token;
  return target;
}

/**
 * What a Janus target cannot take: browser publishers (their pages publish over WHIP only), room numbers past
 * 2^53.
 */
export function checkJanusRun(problems: Problems, target: JanusTarget, peers: PeerGroup[], rooms: number): void {
  for (const [i, group] of peers.entries())
    if (group.kind === 'browser' && group.role === 'publisher')
      problems.add(
        ['peers', i, 'kind'],
        'a Janus target takes synthetic publishers only (browser pages publish over WHIP)',
      );
  if (target.room + rooms - 1 > MAX_ROOM)
    problems.add(['target', 'room'], `room ${target.room} + ${rooms} rooms passes ${MAX_ROOM}`);
}

/** The Janus room number of the scenario's room `roomId` (`r1` is `target.room`, `r2` the next, ...). */
export function janusRoomOf(target: JanusTarget, roomId: string): number {
  const index = Number(/^r(\d+)$/.exec(roomId)?.[1] ?? Number.NaN);
  if (!Number.isInteger(index) || index < 1) throw new Error(`room id ${roomId} is not r<n>`);
  return target.room + index - 1;
}

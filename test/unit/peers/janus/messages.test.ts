import { describe, expect, it } from 'vitest';

import {
  checkReply,
  isRoomExistsError,
  parseEvents,
  parseMessage,
  publisherJoined,
  request,
  roomExists,
  subscriberAttached,
  subscriberStarted,
  videoroom,
} from '../../../../src/peers/janus/messages.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 10.231.0.1\r\ns=-\r\n';
const plugin = (data: Record<string, unknown>, jsep?: unknown): unknown => ({
  janus: 'event',
  transaction: 'tx1',
  sender: 42,
  plugindata: { plugin: 'janus.plugin.videoroom', data },
  ...(jsep ? { jsep } : {}),
});

describe('Janus requests', () => {
  it('builds envelopes with only the fields given', () => {
    expect(request('create', 't1')).toEqual({ janus: 'create', transaction: 't1' });
    expect(
      request('message', 't2', { token: 'k', body: videoroom.start(), jsep: { type: 'answer', sdp: SDP } }),
    ).toEqual({
      janus: 'message',
      transaction: 't2',
      token: 'k',
      body: { request: 'start' },
      jsep: { type: 'answer', sdp: SDP },
    });
  });

  it('builds the VideoRoom bodies: publisher joinandconfigure, subscriber join to one feed, a VP8 room', () => {
    expect(videoroom.publish(7100, 'r1-pub-0')).toEqual({
      request: 'joinandconfigure',
      room: 7100,
      ptype: 'publisher',
      display: 'r1-pub-0',
    });
    expect(videoroom.subscribe(7100, 99)).toEqual({
      request: 'join',
      room: 7100,
      ptype: 'subscriber',
      streams: [{ feed: 99 }],
    });
    expect(videoroom.create(7100, 1000)).toMatchObject({
      request: 'create',
      room: 7100,
      publishers: 1000,
      videocodec: 'vp8',
      permanent: false,
    });
  });
});

describe('Janus answers', () => {
  it('reads ids, plugin data and jsep', () => {
    expect(parseMessage({ janus: 'success', transaction: 't', data: { id: 123 } }, 'create')).toMatchObject({
      janus: 'success',
      dataId: 123,
    });
    const joined = parseMessage(
      plugin({ videoroom: 'joined', id: 77, room: 7100 }, { type: 'answer', sdp: SDP }),
      'join',
    );
    expect(publisherJoined(joined, 'join')).toEqual({ feed: 77, answerSdp: SDP });
    const attached = parseMessage(plugin({ videoroom: 'attached', room: 7100 }, { type: 'offer', sdp: SDP }), 'join');
    expect(subscriberAttached(attached, 'join')).toEqual({ offerSdp: SDP });
    expect(() =>
      subscriberStarted(parseMessage(plugin({ videoroom: 'event', started: 'ok' }), 'start'), 'start'),
    ).not.toThrow();
    expect(
      roomExists(
        parseMessage({ janus: 'success', plugindata: { data: { videoroom: 'success', exists: false } } }, 'exists'),
        'exists',
      ),
    ).toBe(false);
  });

  it('takes a long poll answer of one event or many', () => {
    expect(parseEvents({ janus: 'keepalive' }, 'poll')).toHaveLength(1);
    expect(parseEvents([{ janus: 'webrtcup' }, { janus: 'media' }], 'poll').map((e) => e.janus)).toEqual([
      'webrtcup',
      'media',
    ]);
  });

  it('names the request in every error', () => {
    expect(() => parseMessage('<html>', 'attach')).toThrow(
      /^Janus attach: answered something that is not a Janus message/,
    );
    expect(() => parseMessage({ janus: 'success', data: { id: -1 } }, 'create')).toThrow(
      /Janus create: data.id is not a positive integer id/,
    );
    expect(() => parseMessage({ janus: 'event', jsep: { type: 'pranswer', sdp: SDP } }, 'join')).toThrow(
      /Janus join: jsep is not/,
    );
    expect(() => parseMessage({ janus: 'event', jsep: { type: 'offer', sdp: 'hello' } }, 'join')).toThrow(/no v=0/);
    expect(() =>
      checkReply(
        parseMessage({ janus: 'error', error: { code: 458, reason: 'No such session 1' } }, 'attach'),
        'attach',
      ),
    ).toThrow('Janus attach: error 458: No such session 1');
    const refused = parseMessage(
      plugin({ videoroom: 'event', error_code: 426, error: 'No such room (7100)' }),
      'join room 7100',
    );
    expect(() => publisherJoined(refused, 'join room 7100')).toThrow(
      'Janus join room 7100: VideoRoom error 426: No such room (7100)',
    );
    expect(() => publisherJoined(parseMessage(plugin({ videoroom: 'joined', id: 5 }), 'join'), 'join')).toThrow(
      /no JSEP answer/,
    );
    expect(() =>
      subscriberAttached(parseMessage(plugin({ videoroom: 'joined' }, { type: 'offer', sdp: SDP }), 'join'), 'join'),
    ).toThrow(/expected videoroom "attached", got "joined"/);
  });

  it('tells a room another publisher created first (427) from other errors', () => {
    const exists = parseMessage(
      plugin({ videoroom: 'event', error_code: 427, error: 'Room 7100 already exists' }),
      'create',
    );
    let error: unknown;
    try {
      checkReply(exists, 'create');
    } catch (e) {
      error = e;
    }
    expect(isRoomExistsError(error)).toBe(true);
    expect(isRoomExistsError(new Error('VideoRoom error 427'))).toBe(false);
  });
});

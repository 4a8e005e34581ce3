/**
 * FrameBuffer (the AI hook's depacketizer) beyond pipeline.test.ts's walk-through: when a frame counts as
 * complete, what it carries, when an incomplete one is given up, and what clear() forgets.
 */
import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';

import { type BufferedFrame, FrameBuffer } from '../../../reference-server/ai/frame-buffer.js';

/**
 * VP8 descriptor byte first: S bit (0x10) with partition 0 on a frame's first packet; then the payload header (bit 0 =
 * 0: keyframe).
 */
function packet(
  seq: number,
  timestamp: number,
  options: { start?: boolean; marker?: boolean; keyframe?: boolean; partition?: number } = {},
): RtpPacket {
  const descriptor = (options.start ? 0x10 : 0x00) | (options.partition ?? 0);
  const payload = Buffer.from([descriptor, options.keyframe ? 0x00 : 0x01, 0, 0]);
  return new RtpPacket(
    new RtpHeader({ sequenceNumber: seq, timestamp, marker: options.marker ?? false, payloadType: 96 }),
    payload,
  );
}

function collect(timeoutMs?: number): { buffer: FrameBuffer; frames: BufferedFrame[]; incomplete: string[] } {
  const frames: BufferedFrame[] = [];
  const incomplete: string[] = [];
  const buffer = new FrameBuffer(
    (f) => frames.push(f),
    (k) => incomplete.push(k),
    timeoutMs,
  );
  return { buffer, frames, incomplete };
}

describe('FrameBuffer', () => {
  it('hands on a one-packet frame at once, with its timestamp, key, arrival times and whether it is a keyframe', () => {
    const { buffer, frames } = collect();
    buffer.push(packet(5, 900, { start: true, marker: true, keyframe: true }), 'k', 40);
    buffer.push(packet(6, 1800, { start: true, marker: true }), 'd', 73);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatchObject({ timestamp: 900, key: 'k', keyframe: true, firstPacketMs: 40, readyMs: 40 });
    expect(frames[1]).toMatchObject({ timestamp: 1800, key: 'd', keyframe: false, firstPacketMs: 73, readyMs: 73 });
  });

  it("keeps the first packet's arrival and the key it came with, whatever key later packets carry", () => {
    const { buffer, frames } = collect();
    buffer.push(packet(2, 900), 'first', 10);
    buffer.push(packet(1, 900, { start: true }), 'second', 12);
    buffer.push(packet(3, 900, { marker: true }), 'third', 15);
    expect(frames.map((f) => [f.key, f.firstPacketMs, f.readyMs])).toEqual([['first', 10, 15]]);
  });

  it('does not complete a frame without its partition-0 start packet: an S bit on another partition does not start a frame', () => {
    const { buffer, frames } = collect();
    buffer.push(packet(1, 900, { start: true, partition: 1 }), 'f', 0);
    buffer.push(packet(2, 900, { marker: true }), 'f', 1);
    expect(frames).toHaveLength(0);
    buffer.push(packet(0, 900, { start: true }), 'f', 2);
    expect(frames.map((f) => f.packets.map((p) => p.header.sequenceNumber))).toEqual([[0, 1, 2]]);
  });

  it('a duplicate packet of a pending frame does not stand in for a missing one', () => {
    const { buffer, frames } = collect();
    buffer.push(packet(1, 900, { start: true }), 'f', 0);
    buffer.push(packet(1, 900, { start: true }), 'f', 1);
    buffer.push(packet(3, 900, { marker: true }), 'f', 2);
    expect(frames).toHaveLength(0);
    buffer.push(packet(2, 900), 'f', 3);
    expect(frames).toHaveLength(1);
  });

  it('gives up a frame only when a newer frame arrives more than timeoutMs after its first packet, and reports it once', () => {
    const { buffer, frames, incomplete } = collect(100);
    buffer.push(packet(1, 900, { start: true }), 'lost', 0);
    buffer.push(packet(10, 1800, { start: true, marker: true }), 'a', 100); // exactly the timeout: still waiting
    expect(incomplete).toEqual([]);
    buffer.push(packet(11, 2700, { start: true, marker: true }), 'b', 100.5);
    expect(incomplete).toEqual(['lost']);
    // its missing marker arriving now starts a fresh frame that lacks the start packet: nothing is guessed
    buffer.push(packet(2, 900, { marker: true }), 'lost', 101);
    buffer.push(packet(12, 3600, { start: true, marker: true }), 'c', 400);
    expect(frames.map((f) => f.key)).toEqual(['a', 'b', 'c']);
    expect(incomplete).toEqual(['lost', 'lost']);
  });

  it('waits 1000 ms by default before giving up', () => {
    const { buffer, incomplete } = collect();
    buffer.push(packet(1, 900, { start: true }), 'lost', 0);
    buffer.push(packet(10, 1800, { start: true, marker: true }), 'a', 1000);
    expect(incomplete).toEqual([]);
    buffer.push(packet(11, 2700, { start: true, marker: true }), 'b', 1001);
    expect(incomplete).toEqual(['lost']);
  });

  it('clear() forgets pending frames without reporting them', () => {
    const { buffer, frames, incomplete } = collect(100);
    buffer.push(packet(1, 900, { start: true }), 'f', 0);
    buffer.clear();
    buffer.push(packet(2, 900, { marker: true }), 'f', 1);
    expect(frames).toHaveLength(0);
    buffer.push(packet(10, 1800, { start: true, marker: true }), 'a', 500);
    // the frame gathered after clear() lacks its start packet and is given up; the cleared one never is
    expect(incomplete).toEqual(['f']);
  });

  it('remembers the last 256 completed frames: a late retransmission of an older one starts a new pending frame', () => {
    const { buffer, frames, incomplete } = collect(100);
    for (let i = 0; i < 257; i += 1) buffer.push(packet(i, i * 90, { start: true, marker: true }), `f${i}`, i * 0.01);
    expect(frames).toHaveLength(257);
    buffer.push(packet(256, 256 * 90, { start: true, marker: true }), 'f256', 3); // still remembered: ignored
    expect(frames).toHaveLength(257);
    buffer.push(packet(0, 0, { start: true, marker: true }), 'f0', 3); // forgotten: handed on again
    expect(frames).toHaveLength(258);
    expect(incomplete).toEqual([]);
  });
});

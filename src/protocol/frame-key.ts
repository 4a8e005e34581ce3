/**
 * The join key of frame records across processes (publisher, SFU, subscribers, page): `tag:seq`, from the
 * glassbench frame id every video packet carries (src/media/rtp-identity.ts) or the page's pixel marker.
 * Plain TypeScript: the page bundle uses it too.
 */

export interface FrameIdentity {
  /** publisher tag, unique within a run */
  publisherTag: number;
  /** frame sequence number within that publisher */
  frameSeq: number;
}

/** `tag:seq`, the join key of frame records across processes. */
export function frameKey(id: FrameIdentity): string {
  return `${id.publisherTag}:${id.frameSeq}`;
}

/**
 * How a receipt's frame was named (summary.identity, docs/architecture.md section 2): the frame-id header
 * extension, the id in a synthetic frame's bitstream, the page's pixel marker, the publisher's RTP timestamp as
 * received, or the RTP timestamp through an offset learned per subscription (an SFU that rewrote timestamps).
 */
export type IdentityMethod = 'extension' | 'payload' | 'marker' | 'rtp-timestamp' | 'rtp-offset';

/** What the collector keeps about one frame until it is judged, and for the late horizon after. */
import type { AiFrameRecord } from '../protocol/ai.js';
import type { AiResultRecord, ReceivedFrameRecord, SentFrameRecord } from '../protocol/runner-ipc.js';

/** When a receipt reached its receiver: frame complete, or (browsers without it) rendered. */
export function arrivalOf(receipt: ReceivedFrameRecord): number {
  return receipt.receivedMs ?? receipt.renderedMs ?? 0;
}

export interface FrameState {
  key: string;
  firstSeenMs: number;
  sent?: SentFrameRecord;
  sfuInMs?: number;
  sfuOut?: Map<string, number>;
  ai?: AiFrameRecord;
  /** tap mode: when each subscription got the AI result of this frame over the DataChannel */
  aiResults?: AiResultRecord[];
  receipts: ReceivedFrameRecord[];
  /** once judged: the frame's capture time, and the subscriptions that have a receipt of it */
  captureMs?: number;
  receivedSubs?: Set<string>;
  judgedMs?: number;
}

/**
 * `summary.identity` (docs/outputs.md): how each subscription's receipts of measured frames were named
 * (src/protocol/frame-key.ts `IdentityMethod`), and how many could not be named (identity_lost).
 */
import type { IdentityMethod } from '../protocol/frame-key.js';
import type { ReceivedFrameRecord } from '../protocol/runner-ipc.js';

export interface IdentitySubscription {
  /** receiving peer, the SFU's session id of the subscription, and the publisher it receives */
  peer: string;
  sub: string;
  publisher?: string;
  /** the method that named most of its receipts; `none` when none was named */
  method: IdentityMethod | 'none';
  methods: Partial<Record<IdentityMethod, number>>;
  identityLost: number;
}

export interface IdentitySummary {
  /** receipts of measured frames named by each method, over all subscriptions */
  methods: Partial<Record<IdentityMethod, number>>;
  /** receipts of measured frames whose frame could not be named */
  identityLost: number;
  subscriptions: IdentitySubscription[];
}

/** The method of a receipt the receiver named without saying how (a runner of an older build). */
export function identityOf(receipt: ReceivedFrameRecord, peerKind: string | undefined): IdentityMethod {
  return receipt.identity ?? (peerKind === 'browser' ? 'marker' : 'extension');
}

export class IdentityTally {
  private readonly subs = new Map<string, IdentitySubscription>();

  private entry(peer: string, sub: string, publisher: string | undefined): IdentitySubscription {
    let entry = this.subs.get(sub);
    if (!entry) {
      entry = {
        peer,
        sub,
        ...(publisher !== undefined ? { publisher } : {}),
        method: 'none',
        methods: {},
        identityLost: 0,
      };
      this.subs.set(sub, entry);
    }
    if (publisher !== undefined) entry.publisher ??= publisher;
    return entry;
  }

  named(receipt: ReceivedFrameRecord, method: IdentityMethod, publisher: string | undefined): void {
    const entry = this.entry(receipt.peer, receipt.sub, publisher);
    entry.methods[method] = (entry.methods[method] ?? 0) + 1;
  }

  lost(receipt: ReceivedFrameRecord, publisher: string | undefined): void {
    this.entry(receipt.peer, receipt.sub, publisher).identityLost += 1;
  }

  summary(): IdentitySummary {
    const methods: Partial<Record<IdentityMethod, number>> = {};
    let identityLost = 0;
    const subscriptions: IdentitySubscription[] = [];
    for (const entry of this.subs.values()) {
      let best = 0;
      for (const [method, count] of Object.entries(entry.methods) as [IdentityMethod, number][]) {
        methods[method] = (methods[method] ?? 0) + count;
        if (count > best) {
          best = count;
          entry.method = method;
        }
      }
      identityLost += entry.identityLost;
      subscriptions.push({ ...entry, methods: { ...entry.methods } });
    }
    subscriptions.sort((a, b) => a.peer.localeCompare(b.peer) || a.sub.localeCompare(b.sub));
    return { methods, identityLost, subscriptions };
  }
}

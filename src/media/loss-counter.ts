/**
 * Packet loss on the path, as a receiver sees it (synthetic subscribers' `packet_loss_pct`): a packet counts as
 * lost when a later sequence number arrives before it. Retransmissions that repair it later (NACK) do not
 * undo the count: this is the loss the network caused, before repair. Per interval:
 * lost / (highest sequence number advanced), as RFC 3550's "expected".
 */
export class LossCounter {
  private highest: number | undefined;
  private expected = 0;
  private lost = 0;
  private repaired = 0;

  push(sequenceNumber: number): void {
    if (this.highest === undefined) {
      this.highest = sequenceNumber;
      this.expected += 1;
      return;
    }
    const advance = (sequenceNumber - this.highest + 65536) % 65536;
    if (advance === 0) return; // duplicate
    if (advance < 32768) {
      this.expected += advance;
      this.lost += advance - 1;
      this.highest = sequenceNumber;
    } else {
      this.repaired += 1; // late: a retransmission or reordering of one counted lost
    }
  }

  /** Loss in percent since the last call (undefined when nothing was expected), and resets the interval. */
  take(): { lossPct: number | undefined; repaired: number } {
    const lossPct = this.expected > 0 ? (100 * this.lost) / this.expected : undefined;
    const out = { lossPct, repaired: this.repaired };
    this.expected = 0;
    this.lost = 0;
    this.repaired = 0;
    return out;
  }
}

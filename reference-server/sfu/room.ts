/** A room owns its publisher and subscriber sessions and closes them when it closes. */
import type { PublisherSession, SubscriberSession } from './sessions.js';

export class Room {
  readonly publishers = new Map<string, PublisherSession>();
  readonly subscribers = new Map<string, SubscriberSession>();

  constructor(readonly id: string) {}

  get empty(): boolean {
    return this.publishers.size === 0 && this.subscribers.size === 0;
  }

  /** The publisher a WHEP request names, or the room's first one. */
  pickPublisher(streamId: string | null): PublisherSession | undefined {
    if (streamId) return this.publishers.get(streamId);
    return this.publishers.values().next().value;
  }

  async close(): Promise<void> {
    const sessions = [...this.subscribers.values(), ...this.publishers.values()];
    await Promise.all(sessions.map((s) => s.close()));
  }
}

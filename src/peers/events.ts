/** A listener of one event: gets that event's payload. */
export type Listener<T> = (payload: T) => void;

/**
 * A small typed event emitter: `Events` maps each event name to its payload type, so a listener of `sent`
 * gets a SentFrameRecord and a misspelt event name does not compile. Listeners run synchronously, in the
 * order they were added. Unlike Node's EventEmitter, an `error` with no listener does not throw: a peer's
 * `error` is one it survived, reported for the record, never a reason to stop.
 */
export class TypedEmitter<Events> {
  private readonly listeners: { [K in keyof Events]?: Listener<Events[K]>[] } = {};

  /** Adds `listener` for `event`; returns the emitter, so a caller can subscribe to several in a row. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    (this.listeners[event] ??= []).push(listener);
    return this;
  }

  /** Removes one `listener` of `event` (the first, if it was added twice). */
  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const listeners = this.listeners[event];
    const index = listeners?.indexOf(listener) ?? -1;
    if (listeners && index >= 0) listeners.splice(index, 1);
    return this;
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const listener of this.listeners[event] ?? []) listener(payload);
  }
}

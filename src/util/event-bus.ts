/**
 * The daemon's event bus, in dockerd's shape (api/types/events Message): each step the
 * controller or the engine has committed is published once, kept in a bounded ring for
 * `since` replays, and handed to every subscriber at once. A subscriber that throws loses
 * only its own delivery: publishing never fails the step that published.
 */

export type EventType = 'container' | 'network' | 'daemon' | 'image' | 'volume' | 'plugin';

export interface EventActor {
  ID: string;
  Attributes: { [key: string]: string };
}

export interface EventMessage {
  /** Legacy fields dockerd still fills for container events: the Action, Actor.ID and the image. */
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: EventActor;
  scope: 'local';
  time: number;
  timeNano: number;
}

export type EventListener = (ev: EventMessage) => void;

/** dockerd keeps the last 256 events for replays; so do we. */
export const EVENT_RING_SIZE = 256;

export class EventBus {
  private readonly ring: EventMessage[] = [];
  private readonly listeners = new Set<EventListener>();
  /**
   * Microseconds of the last event: strictly increasing, so replay bounds are never ambiguous.
   * Microseconds, not nanoseconds, keep timeNano exact in a double (and in its JSON).
   */
  private lastMicro = 0;

  constructor(private readonly ringSize = EVENT_RING_SIZE, private readonly onListenerError?: (err: unknown) => void) {}

  publish(type: EventType, action: string, actor: EventActor): EventMessage {
    const ev = this.stamp(type, action, actor);
    this.ring.push(ev);
    if (this.ring.length > this.ringSize) this.ring.shift();
    for (const fn of [...this.listeners]) {
      try {
        fn(ev);
      } catch (err) {
        this.onListenerError?.(err);
      }
    }
    return ev;
  }

  /** Every later event goes to fn until the returned function is called. */
  subscribe(fn: EventListener): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  /** Kept events with sinceNano <= timeNano <= untilNano (either bound optional), oldest first. */
  recent(sinceNano?: number, untilNano?: number): EventMessage[] {
    return this.ring.filter((ev) => (sinceNano === undefined || ev.timeNano >= sinceNano)
      && (untilNano === undefined || ev.timeNano <= untilNano));
  }

  private stamp(type: EventType, action: string, actor: EventActor): EventMessage {
    const micro = Math.max(Date.now() * 1000, this.lastMicro + 1);
    this.lastMicro = micro;
    const legacy = type === 'container' ? { status: action, id: actor.ID, from: actor.Attributes.image ?? '' } : {};
    return {
      ...legacy,
      Type: type,
      Action: action,
      Actor: { ID: actor.ID, Attributes: { ...actor.Attributes } },
      scope: 'local',
      time: Math.floor(micro / 1e6),
      timeNano: micro * 1000,
    };
  }
}

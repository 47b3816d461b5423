// How the windows showing one deck keep in step: the audience window, the presenter view and
// the presenter's current/next frames all join one BroadcastChannel (same origin, any window).
// Every window that shows live slides says where it is and what its widgets show; the others follow.
import type { WidgetState } from '../embed/liveWidget';
import { deckChannelName } from './config';

export interface SlidePosition {
  /** reveal.js indices: horizontal slide, vertical slide, fragment (-1: none shown). */
  h: number;
  v: number;
  f: number;
}

export type DeckMessage =
  /** A window joined; the others answer with their slide and widget states. */
  | { kind: 'hello' }
  | ({ kind: 'slide'; total: number } & SlidePosition)
  | { kind: 'state'; widgetId: string; state: WidgetState }
  /** The presenter's buttons or keys; the presenter's current frame carries them out. */
  | { kind: 'go'; direction: 'next' | 'prev' };

export interface DeckChannel {
  post(message: DeckMessage): void;
  close(): void;
}

/** Join the channel of deck `chapterId`; `receive` gets every message from the other windows. */
export function joinDeck(chapterId: string, receive: (message: DeckMessage) => void): DeckChannel {
  const channel = new BroadcastChannel(deckChannelName(chapterId));
  channel.onmessage = (event: MessageEvent<DeckMessage>) => receive(event.data);
  return {
    post: (message) => channel.postMessage(message),
    close: () => channel.close(),
  };
}

export function samePosition(a: SlidePosition | null, b: SlidePosition): boolean {
  return a !== null && a.h === b.h && a.v === b.v && a.f === b.f;
}

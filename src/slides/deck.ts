// A chapter's slide deck: reveal.js over the sections that slides/[id].astro rendered, the
// widgets on each slide started when it is first shown, and every window of the deck kept in
// step over channel.ts (slide position and widget states, both ways).
//
// ?view=current and ?view=next are the presenter view's two frames: "next" shows the slide after
// the shared position and neither starts widgets nor speaks; "current" carries out the
// presenter's next/previous commands. ?print-pdf lays the deck out one slide per page for printing.
import Reveal from 'reveal.js';
import { startLiveWidget, stateSearch, type LiveWidget, type WidgetState } from '../embed/liveWidget';
import { joinDeck, samePosition, type DeckMessage, type SlidePosition } from './channel';
import { SLIDE_HEIGHT, SLIDE_MARGIN, SLIDE_WIDTH } from './config';
import { fitFigure } from './fitFigure';

type View = 'audience' | 'current' | 'next';

const root = document.querySelector<HTMLElement>('[data-deck]')!;
const chapterId = root.dataset.deck!;
const params = new URLSearchParams(location.search);
const view: View = params.get('view') === 'current' ? 'current' : params.get('view') === 'next' ? 'next' : 'audience';
const printing = /print-pdf/.test(location.search);
/** Whether this window's link names a slide (#/<n>), as a presenter view opened from a link does. */
const linkedSlide = /^#\/\d/.test(location.hash);
const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)').matches;
document.documentElement.dataset.view = view;

/** How long a widget's state waits before it is sent, so a dragged slider sends tens, not hundreds. */
const STATE_SEND_DELAY_MS = 60;

const deck = new Reveal(root, {
  width: SLIDE_WIDTH,
  height: SLIDE_HEIGHT,
  margin: SLIDE_MARGIN,
  hash: view === 'audience',
  respondToHashChanges: view === 'audience',
  controls: view !== 'next',
  progress: view !== 'next',
  slideNumber: view === 'next' ? false : 'c/t',
  showSlideNumber: 'all',
  keyboard: view === 'next' ? false : { 83: openPresenter },
  touch: view !== 'next',
  overview: view !== 'next',
  transition: reducedMotion || view !== 'audience' ? 'none' : 'slide',
  backgroundTransition: 'none',
  pdfSeparateFragments: false,
  pdfMaxPagesPerSlide: 1,
  // Widgets and long sections keep their own height; the slide scrolls (deck.css) instead of clipping.
  center: false,
});

const live = new Map<string, LiveWidget>();
const starting = new Map<string, Promise<LiveWidget | void>>();
/** The latest state of each widget in any window of this deck. */
const shared = new Map<string, WidgetState>();
const sendTimers = new Map<string, number>();
/** The position this window was last told to show, so following it is not echoed back. */
let followed: SlidePosition | null = null;

/** Messages are acted on once reveal.js is ready; the 'hello' sent then brings this window up to date. */
let ready = false;
// A deck laid out for printing keeps to its own link: it neither follows nor leads.
const channel = printing ? { post: () => {}, close: () => {} } : joinDeck(chapterId, (message) => ready && receive(message));

function position(): SlidePosition {
  const { h, v, f } = deck.getIndices();
  return { h, v: v ?? 0, f: f ?? -1 };
}

function startWidgetsIn(slide: Element | null): Promise<unknown> {
  if (!slide) return Promise.resolve();
  const roots = [...slide.querySelectorAll<HTMLElement>('[data-widget]')];
  return Promise.all(roots.map(startWidget));
}

/** The element each widget was started in. */
const startedIn = new Map<string, HTMLElement>();

function startWidget(widgetRoot: HTMLElement): Promise<LiveWidget | void> {
  const id = widgetRoot.dataset.widgetId!;
  const existing = starting.get(id);
  if (existing && startedIn.get(id) === widgetRoot) return existing;
  // Otherwise its element is new: reveal.js's scroll view (a window under 435 px wide) rebuilds
  // the slides from their HTML when the window widens again, so a widget started before that runs
  // on in a detached copy. It is stopped there and started here, in the state it had.
  if (existing) {
    live.get(id)?.stop();
    live.delete(id);
  }
  startedIn.set(id, widgetRoot);
  const state = shared.get(id);
  const search = state ? stateSearch(id, state) : new URLSearchParams(location.search);
  const started = startLiveWidget(widgetRoot, { search, onStateChange: (next) => changedHere(id, next) })
    .then((widget) => {
      live.set(id, widget);
      const latest = shared.get(id);
      if (latest && !sameState(latest, widget.state)) void widget.restart(latest);
      return widget;
    })
    .catch((error) => console.error(`Widget "${id}" on a slide failed to start:`, error));
  starting.set(id, started);
  return started;
}

function sameState(a: WidgetState, b: WidgetState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A widget changed in this window: record it in the URL and tell the other windows. */
function changedHere(id: string, state: WidgetState): void {
  shared.set(id, state);
  writeStateToUrl(id, state);
  clearTimeout(sendTimers.get(id));
  sendTimers.set(id, window.setTimeout(() => channel.post({ kind: 'state', widgetId: id, state: shared.get(id)! }), STATE_SEND_DELAY_MS));
}

function writeStateToUrl(id: string, state: WidgetState): void {
  if (view !== 'audience') return;
  const url = new URL(location.href);
  for (const [setting, value] of Object.entries(state)) url.searchParams.set(`${id}.${setting}`, String(value));
  history.replaceState(history.state, '', url);
}

function announcePosition(): void {
  const here = position();
  // Before it is ready, reveal.js reports its own start (slide 0), which must not move the others.
  if (!ready || view === 'next' || samePosition(followed, here)) return;
  followed = here;
  channel.post({ kind: 'slide', total: deck.getTotalSlides(), ...here });
}

function receive(message: DeckMessage): void {
  switch (message.kind) {
    case 'hello':
      // The presenter's "current" frame answers only with a position of its own (from its link,
      // followed or moved): answering with the slide it opened on would pull the audience to it.
      if (view === 'next' || (view === 'current' && !linkedSlide && followed === null)) return;
      channel.post({ kind: 'slide', total: deck.getTotalSlides(), ...position() });
      for (const [widgetId, state] of shared) channel.post({ kind: 'state', widgetId, state });
      return;
    case 'slide':
      follow(message);
      return;
    case 'state': {
      shared.set(message.widgetId, message.state);
      writeStateToUrl(message.widgetId, message.state);
      const widget = live.get(message.widgetId);
      if (widget && !sameState(widget.state, message.state)) void widget.restart(message.state);
      return;
    }
    case 'go':
      if (view !== 'current') return;
      if (message.direction === 'next') deck.next();
      else deck.prev();
      return;
  }
}

function follow(target: SlidePosition): void {
  followed = target;
  deck.slide(target.h, target.v, target.f);
  if (view === 'next') deck.next();
}

function openPresenter(): void {
  if (view !== 'audience') return;
  window.open(`/slides/${chapterId}/presenter/${location.search}${location.hash}`, `glass-llama-presenter-${chapterId}`);
}

/** Figures being fitted to their slide, and how to stop watching each. */
const fitted = new Map<HTMLElement, () => void>();

/**
 * Fit every figure on the slides that is not fitted yet, and forget the ones no longer in the
 * document: leaving reveal.js's scroll view replaces the slides' elements with new ones (see
 * startWidget).
 */
function fitFigures(): void {
  for (const [figure, stop] of fitted) {
    if (figure.isConnected) continue;
    stop();
    fitted.delete(figure);
  }
  for (const figure of root.querySelectorAll<HTMLElement>('.slide__figure > [data-widget]')) {
    if (!fitted.has(figure)) fitted.set(figure, fitFigure(figure));
  }
}

deck.on('slidechanged', () => {
  announcePosition();
  if (view !== 'next') void startWidgetsIn(deck.getCurrentSlide());
});
// reveal.js's scroll view (entered and left as the window crosses 435 px) moves the slides into
// its pages and, leaving, writes them back from their HTML: new figures to fit and start.
let refitScheduled = false;
new MutationObserver(() => {
  if (refitScheduled || !ready) return;
  refitScheduled = true;
  requestAnimationFrame(() => {
    refitScheduled = false;
    fitFigures();
    if (view !== 'next' && !printing) void startWidgetsIn(deck.getCurrentSlide());
  });
}).observe(root.querySelector('.slides')!, { childList: true });
deck.on('fragmentshown', announcePosition);
deck.on('fragmenthidden', announcePosition);

await deck.initialize();
fitFigures();
// reveal.js's API, for a console or a test driving the deck (deck.slide(3), deck.getTotalSlides()).
window.deck = deck;
if (printing) {
  // Every widget prints as it is now, so all of them start; the page says when they have settled.
  await Promise.all(deck.getSlides().map(startWidgetsIn));
  document.documentElement.dataset.widgetsStarted = 'true';
} else if (view !== 'next') {
  void startWidgetsIn(deck.getCurrentSlide());
}
ready = true;
channel.post({ kind: 'hello' });
// A presenter view opened from a link leads: every window goes to the slide it names.
if (view === 'current' && linkedSlide) announcePosition();
document.documentElement.dataset.deckReady = 'true';

// A link to a place on a chapter (a contents entry, a heading's link, #exercise-…) should leave that
// place at the top of the window, below the sticky header. The figures above it start as they come
// near the window and most grow as they draw, after the browser has scrolled: the place would
// drift down, sometimes out of view. So for a while after each jump, every change in the page's
// height puts the place back, until the reader scrolls, types or clicks.

/** How long after a jump the place is kept (figures near it start within a few seconds). */
const KEEP_MS = 15_000;

let current: AbortController | null = null;

/**
 * Keep `target` at the top (`scroll-padding-top` keeps it below the header) whenever the page
 * changes height, until the reader takes over or KEEP_MS pass. `now`: put it there at once too.
 */
function keepInView(target: HTMLElement, { now = false } = {}): void {
  current?.abort();
  const release = new AbortController();
  current = release;
  const place = () => target.scrollIntoView({ block: 'start', behavior: 'instant' });
  // A ResizeObserver reports the size it starts with; that is no change, and placing then would
  // cut short the browser's smooth scroll to the target.
  let started = false;
  const observer = new ResizeObserver(() => {
    if (started) place();
    started = true;
  });
  observer.observe(document.body);
  release.signal.addEventListener('abort', () => observer.disconnect());
  for (const type of ['wheel', 'touchstart', 'keydown', 'pointerdown']) {
    addEventListener(type, () => release.abort(), { once: true, passive: true, signal: release.signal });
  }
  setTimeout(() => release.abort(), KEEP_MS);
  if (now) place();
}

function targetOfHash(): HTMLElement | null {
  if (location.hash.length < 2) return null;
  try {
    return document.getElementById(decodeURIComponent(location.hash.slice(1)));
  } catch {
    return null; // a malformed %-escape in the link
  }
}

/** Keep the link's target in view on arrival and after each in-page jump. */
export function startKeepingHashTargetInView(): void {
  const onHash = (now: boolean) => {
    const target = targetOfHash();
    if (target) keepInView(target, { now });
  };
  onHash(true);
  addEventListener('hashchange', () => onHash(false));
}

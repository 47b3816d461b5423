// A widget on a slide, kept inside the slide. A figure is drawn for a page of any height; a slide
// has the 720 px canvas less its title. When the figure is taller than the space left, it is laid
// out wider (width / scale) and scaled down (CSS transform) by the same factor, so it fills the
// slide's width and fits its height; widgets need no slide layout of their own. The figure is
// fitted again whenever it changes height (it drew, the presenter typed a longer prompt).

/** Below this the figure's text is too small to read from the back of a room; such a figure overflows instead (tests/e2e/slides.test.ts fails it). */
export const MIN_FIGURE_SCALE = 0.45;
/** Laying a figure out wider can change its height (text wraps less); this many passes settle it. */
const PASSES = 4;

/** The scale the figure is shown at, and whether fitting is under way ('fitting') or over ('done'): for tests and the console. */
export const SCALE_ATTRIBUTE = 'data-slide-scale';
export const FIT_ATTRIBUTE = 'data-slide-fit';

/**
 * Fit `figure` (a Widget.astro <figure> inside a .slide__figure box) to the space its box has on
 * the slide. Returns a function that stops watching it.
 */
export function fitFigure(figure: HTMLElement): () => void {
  const box = figure.parentElement!;
  let scale = 1;
  let fitting = false;
  let fittedHeight = -1;

  /** Scale the figure to the space it has now, starting from the scale it has. */
  const fitOnce = async () => {
    const width = box.clientWidth;
    const space = availableHeight(box);
    if (width === 0 || space <= 0) return; // the slide is not laid out (display: none)
    for (let pass = 0; pass < PASSES; pass++) {
      figure.style.width = `${width / scale}px`;
      await nextFrame(); // the widget redraws at its new width (it watches its own width)
      const next = Math.max(MIN_FIGURE_SCALE, Math.min(1, space / figure.offsetHeight));
      if (Math.abs(next - scale) < 0.005) break;
      scale = next;
    }
    figure.style.width = `${width / scale}px`;
    figure.style.transform = scale === 1 ? '' : `scale(${scale})`;
    figure.setAttribute(SCALE_ATTRIBUTE, scale.toFixed(3));
    await nextFrame();
    fittedHeight = figure.offsetHeight;
    box.style.height = `${Math.ceil(fittedHeight * scale)}px`;
  };

  const fit = async () => {
    if (fitting) return;
    fitting = true;
    figure.setAttribute(FIT_ATTRIBUTE, 'fitting');
    try {
      // Until the figure stops changing under us (it may still be drawing); a few rounds at most.
      for (let round = 0; round < PASSES && figure.offsetHeight !== fittedHeight; round++) await fitOnce();
    } finally {
      fitting = false;
      figure.setAttribute(FIT_ATTRIBUTE, 'done');
    }
  };

  const observer = new ResizeObserver(() => {
    if (!fitting && figure.offsetHeight !== fittedHeight) void fit();
  });
  observer.observe(figure);
  observer.observe(box.closest('section') ?? box);
  void fit();
  return () => observer.disconnect();
}

/** The height the figure's box may take: the slide body's, less what sits above the box. */
function availableHeight(box: HTMLElement): number {
  const body = box.parentElement!;
  let above = 0;
  for (const sibling of body.children) {
    if (sibling === box) break;
    above += (sibling as HTMLElement).offsetHeight + parseFloat(getComputedStyle(body).rowGap || '0');
  }
  return body.clientHeight - above;
}

function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

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

  /** Scale the figure to the space it has now, starting from the scale it has; false when its slide is not laid out. */
  const fitOnce = async (): Promise<boolean> => {
    const width = box.clientWidth;
    const space = availableHeight(box);
    if (width === 0 || space <= 0) return false; // the slide is not laid out (display: none)
    let measured = figure.offsetHeight;
    for (let pass = 0; pass < PASSES; pass++) {
      figure.style.width = `${width / scale}px`;
      await nextFrame(); // the widget redraws at its new width (it watches its own width)
      measured = figure.offsetHeight;
      const next = Math.max(MIN_FIGURE_SCALE, Math.min(1, space / measured));
      if (Math.abs(next - scale) < 0.005) break;
      scale = next;
    }
    figure.style.width = `${width / scale}px`;
    figure.style.transform = scale === 1 ? '' : `scale(${scale})`;
    figure.setAttribute(SCALE_ATTRIBUTE, scale.toFixed(3));
    await nextFrame();
    // Laid out at its final width the figure may be a little taller than measured: never past the space.
    if (figure.offsetHeight * scale > space) {
      scale = Math.max(MIN_FIGURE_SCALE, space / figure.offsetHeight);
      figure.style.transform = `scale(${scale})`;
      figure.setAttribute(SCALE_ATTRIBUTE, scale.toFixed(3));
    }
    // The height the scale was chosen for: if the figure has grown since (it finished drawing),
    // the next round sees the difference and fits again.
    fittedHeight = measured;
    box.style.height = `${Math.ceil(figure.offsetHeight * scale)}px`;
    return true;
  };

  // A resize seen while fitting (the widget finished drawing meanwhile) asks for one more fit when
  // this one ends; a few in a row at most, so a figure whose height follows its width cannot loop.
  let resizedWhileFitting = false;
  let refits = 0;
  const fit = async () => {
    if (fitting) return;
    fitting = true;
    resizedWhileFitting = false;
    figure.setAttribute(FIT_ATTRIBUTE, 'fitting');
    let laidOut = true;
    try {
      // Until the figure stops changing under us (it may still be drawing); a few rounds at most.
      for (let round = 0; round < PASSES && laidOut && figure.offsetHeight !== fittedHeight; round++) laidOut = await fitOnce();
    } finally {
      fitting = false;
      // 'hidden': its slide is not shown, so nothing was fitted yet (showing the slide resizes it and fits it).
      figure.setAttribute(FIT_ATTRIBUTE, laidOut ? 'done' : 'hidden');
    }
    if (resizedWhileFitting && figure.offsetHeight !== fittedHeight && refits < PASSES) {
      refits++;
      void fit();
    } else {
      refits = 0;
    }
  };

  const observer = new ResizeObserver(() => {
    if (fitting) resizedWhileFitting = true;
    else if (figure.offsetHeight !== fittedHeight || figure.getAttribute(FIT_ATTRIBUTE) === 'hidden') void fit();
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

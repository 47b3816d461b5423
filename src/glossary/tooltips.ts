// Glossary tooltips in a chapter (markup: src/glossary/rehypeGlossary.mjs). A term's definition
// shows while the pointer is over the term or the term's link has keyboard focus (CSS), Escape
// hides it until the pointer or focus leaves (WCAG 1.4.13), and a tooltip that would pass the
// right edge of the window is moved left so the page never scrolls sideways.
const MARGIN = 8;

function place(term: HTMLElement): void {
  const tip = term.querySelector<HTMLElement>('.term__tip');
  if (!tip) return;
  tip.style.removeProperty('--term-shift');
  const rect = tip.getBoundingClientRect();
  const overflow = rect.right - (document.documentElement.clientWidth - MARGIN);
  if (overflow > 0) tip.style.setProperty('--term-shift', `${-Math.min(overflow, rect.left - MARGIN)}px`);
}

export function startGlossaryTooltips(root: Document): void {
  for (const term of root.querySelectorAll<HTMLElement>('.term')) {
    const show = () => {
      delete term.dataset.dismissed;
      requestAnimationFrame(() => place(term));
    };
    term.addEventListener('mouseenter', show);
    term.addEventListener('focusin', show);
    term.addEventListener('mouseleave', () => delete term.dataset.dismissed);
    term.addEventListener('focusout', () => delete term.dataset.dismissed);
  }
  root.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    for (const term of root.querySelectorAll<HTMLElement>('.term:hover, .term:focus-within')) term.dataset.dismissed = 'true';
  });
}

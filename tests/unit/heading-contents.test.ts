// src/layouts/headingContents.ts: the table of contents takes each heading's markup from the
// rendered chapter body, not Astro's concatenated heading text.
import { expect, test } from 'vitest';
import { headingContents } from '../../src/layouts/headingContents';

// What rehype-katex renders for "## Why divide by the square root of $d_k$" (shortened).
const katexHeading =
  '<h2 id="why-divide-by-the-square-root-of-dkd_kdk">Why divide by the square root of <span class="katex">' +
  '<span class="katex-mathml"><math><semantics><mrow><msub><mi>d</mi><mi>k</mi></msub></mrow>' +
  '<annotation encoding="application/x-tex">d_k</annotation></semantics></math></span>' +
  '<span class="katex-html" aria-hidden="true"><span class="mord mathnormal">d</span><span class="msupsub">k</span></span></span></h2>';
const body = `<p>Intro</p><h2 id="scores">Scores</h2><p>…</p>${katexHeading}<h3 id="a-link">See <a href="/x/">the <em>paper</em></a></h3>`;

test('headingContents returns the heading markup with its formula, not the doubled text', () => {
  const entry = headingContents(body, { depth: 2, slug: 'why-divide-by-the-square-root-of-dkd_kdk', text: 'Why divide by the square root of dkd_kdk' });
  expect(entry.depth).toBe(2);
  expect(entry.slug).toBe('why-divide-by-the-square-root-of-dkd_kdk');
  expect(entry.html).toBe(katexHeading.slice(katexHeading.indexOf('>') + 1, -'</h2>'.length));
});

test('headingContents finds the heading by its id, not by the first heading of that depth', () => {
  expect(headingContents(body, { depth: 2, slug: 'scores', text: 'Scores' }).html).toBe('Scores');
});

test('headingContents unwraps links inside a heading (an entry is already a link)', () => {
  expect(headingContents(body, { depth: 3, slug: 'a-link', text: 'See the paper' }).html).toBe('See the <em>paper</em>');
});

test('headingContents falls back to the escaped text when the body has no such heading', () => {
  expect(headingContents(body, { depth: 2, slug: 'gone', text: 'Q < K & V' }).html).toBe('Q &lt; K &amp; V');
});

import { describe, expect, test } from 'vitest';
import { revealPrintStyles } from '../../src/slides/config';
import { revealPrintStyleHashes } from '../../src/slides/printStyleHashes';
import { splitIntoSlides } from '../../src/slides/split';

describe('splitIntoSlides', () => {
  test('starts a slide at each top-level h2 and h3, keeping the text before the first heading', () => {
    const html = '<p>Intro</p><h2 id="a">A</h2><p>one</p><h3 id="b">B</h3><p>two</p><h2 id="c">C</h2>';
    expect(splitIntoSlides(html).map((slide) => slide.html)).toEqual([
      '<p>Intro</p>',
      '<h2 id="a">A</h2><p>one</p>',
      '<h3 id="b">B</h3><p>two</p>',
      '<h2 id="c">C</h2>',
    ]);
  });

  test('cuts at an explicit slide break and drops the break itself', () => {
    const html = '<h2>A</h2><p>one</p><hr data-slide-break hidden aria-hidden="true"><p>two</p>';
    expect(splitIntoSlides(html).map((slide) => slide.html)).toEqual(['<h2>A</h2><p>one</p>', '<p>two</p>']);
  });

  test('does not cut at a heading nested inside another element', () => {
    const html = '<h2>A</h2><figure><div><h3>inside</h3><br><img src="x.png"></div></figure><p>after</p>';
    expect(splitIntoSlides(html)).toHaveLength(1);
  });

  test('self-closing SVG elements do not unbalance the nesting', () => {
    const html = '<h2>A</h2><svg><path d="M0 0" /><circle r="1"/></svg><h2>B</h2>';
    expect(splitIntoSlides(html).map((slide) => slide.html)).toEqual(['<h2>A</h2><svg><path d="M0 0" /><circle r="1"/></svg>', '<h2>B</h2>']);
  });

  test('takes speaker notes out of the slide they sit on', () => {
    const html = '<h2>A</h2><p>shown</p><aside class="speaker-notes" data-speaker-notes hidden><p>Say this.</p></aside><h2>B</h2>';
    expect(splitIntoSlides(html)).toEqual([
      { html: '<h2>A</h2><p>shown</p>', notes: '<p>Say this.</p>' },
      { html: '<h2>B</h2>', notes: '' },
    ]);
  });

  test('an empty body gives no slides', () => {
    expect(splitIntoSlides('  ')).toEqual([]);
  });
});

describe('revealPrintStyles', () => {
  test('match the page size reveal.js computes for a 1280 x 720 canvas with a 4% margin', () => {
    expect(revealPrintStyles()[0]).toBe('@page{size:1331px 748px; margin: 0px;}');
  });

  test('hashes are the CSP sha256 of each style text', () => {
    expect(revealPrintStyleHashes()).toHaveLength(2);
    for (const hash of revealPrintStyleHashes()) expect(hash).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
  });
});

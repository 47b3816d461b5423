import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { revealPrintStyles } from '../../src/slides/config';
import { revealPrintStyleHashes } from '../../src/slides/printStyleHashes';
import { chapterDeck, splitIntoSlides } from '../../src/slides/split';

const points = (html: string) => `<div class="slide-points" data-slide-points hidden>${html}</div>`;
const notes = (html: string) => `<aside class="speaker-notes" data-speaker-notes hidden>${html}</aside>`;
const slideBreak = '<hr data-slide-break hidden aria-hidden="true">';
const widget = '<figure class="widget" data-widget="softmax-temperature" data-widget-id="t"><p>alt</p></figure>';

describe('splitIntoSlides', () => {
  test('a slide is its heading, its points and its widgets; the prose stays out', () => {
    const html = `<p>Intro</p><h2 id="a">A <code>x</code></h2><p>prose</p>${points('<ul><li>one</li></ul>')}<pre>code</pre><h3 id="b">B</h3><table><tr><td>1</td></tr></table>${widget}<p>after</p>`;
    expect(splitIntoSlides(html)).toEqual([
      { title: 'A <code>x</code>', body: '<div class="slide-points"><ul><li>one</li></ul></div>', notes: '' },
      { title: 'B', body: `<div class="slide__figure">${widget}</div>`, notes: '' },
    ]);
  });

  test('a break starts a slide that keeps the heading above as its title', () => {
    const html = `<h2>A</h2>${points('<p>p</p>')}<p>prose</p>${slideBreak}${widget}${notes('<p>Try it.</p>')}<h2>B</h2>`;
    expect(splitIntoSlides(html)).toEqual([
      { title: 'A', body: '<div class="slide-points"><p>p</p></div>', notes: '' },
      { title: 'A', body: `<div class="slide__figure">${widget}</div>`, notes: '<p>Try it.</p>' },
      { title: 'B', body: '', notes: '' },
    ]);
  });

  test('headings, points and widgets nested inside another element are not cut or lifted out', () => {
    const html = `<h2>A</h2><figure><div><h3>inside</h3><br><img src="x.png">${points('<p>deep</p>')}</div></figure><p>after</p>`;
    expect(splitIntoSlides(html)).toEqual([{ title: 'A', body: '', notes: '' }]);
  });

  test('self-closing SVG elements do not unbalance the nesting', () => {
    const html = `<h2>A</h2><svg><path d="M0 0" /><circle r="1"/></svg>${points('<p>kept</p>')}<h2>B</h2>`;
    expect(splitIntoSlides(html).map((slide) => [slide.title, slide.body])).toEqual([
      ['A', '<div class="slide-points"><p>kept</p></div>'],
      ['B', ''],
    ]);
  });

  test('takes speaker notes out of the slide they sit on, joining several', () => {
    const html = `<h2>A</h2>${notes('<p>Say this.</p>')}<p>shown in the chapter</p>${notes('<p>And this.</p>')}<h2>B</h2>`;
    expect(splitIntoSlides(html)[0]).toEqual({ title: 'A', body: '', notes: '<p>Say this.</p>\n<p>And this.</p>' });
  });

  test('an empty body gives no slides', () => {
    expect(splitIntoSlides('  ')).toEqual([]);
  });
});

describe('chapterDeck', () => {
  test('points and notes before the first heading go to the title slide', () => {
    const html = `<p>Intro prose</p>${points('<p>learn</p>')}${notes('<p>Welcome.</p>')}<h2>A</h2>`;
    expect(chapterDeck(html)).toEqual({
      opening: { body: '<div class="slide-points"><p>learn</p></div>', notes: '<p>Welcome.</p>' },
      slides: [{ title: 'A', body: '', notes: '' }],
    });
  });

  test('prose alone before the first heading makes no slide', () => {
    expect(chapterDeck('<p>Intro prose</p><h2>A</h2>')).toEqual({ opening: { body: '', notes: '' }, slides: [{ title: 'A', body: '', notes: '' }] });
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

describe('every chapter in content/', () => {
  /** A chapter's MDX source cut where its deck cuts it (## and ### headings, <SlideBreak />), code fences skipped. */
  function sourceSlides(mdx: string): { title: string; source: string }[] {
    const slides: { title: string; source: string }[] = [];
    let inFence = false;
    let title = '';
    let lines: string[] = [];
    const finish = () => title && slides.push({ title, source: lines.join('\n') });
    for (const line of mdx.split('\n')) {
      if (line.startsWith('```')) inFence = !inFence;
      const heading = !inFence && /^#{2,3} (.*)/.exec(line);
      if (heading || (!inFence && line.trim() === '<SlideBreak />')) {
        finish();
        if (heading) title = heading[1];
        lines = [];
      } else lines.push(line);
    }
    finish();
    return slides;
  }
  const chapters = readdirSync(join(import.meta.dirname, '../../content')).filter((name) => name.endsWith('.mdx'));

  test.each(chapters)('%s: each slide has points or a widget, and each widget has speaker notes', (name) => {
    const slides = sourceSlides(readFileSync(join(import.meta.dirname, '../../content', name), 'utf8'));
    expect(slides.length).toBeGreaterThan(3);
    const empty = slides.filter((slide) => !slide.source.includes('<SlidePoints>') && !slide.source.includes('<Widget'));
    expect(empty.map((slide) => slide.title)).toEqual([]);
    const widgetsWithoutNotes = slides.filter((slide) => slide.source.includes('<Widget') && !slide.source.includes('<Notes>'));
    expect(widgetsWithoutNotes.map((slide) => slide.title)).toEqual([]);
  });
});

// BM25 by hand: a query against our 16 validation stories, every story's score and what each
// query word adds to it, with k1 (how fast a repeated word saturates) and b (how much a long story
// is discounted) on sliders. Runs no model: retrieval is counting words.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import decodingWidgetsCss from './decodingWidgets.css?url';
import ragWidgetsCss from './ragWidgets.css?url';
import { Bm25Index, retrievalTerms } from '../src/chapters/retrieval';
import { number, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, promptForm, slider, tableScroller } from './modelWidgetParts';
import { loadStories } from './ragParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(decodingWidgetsCss);
loadStylesheet(ragWidgetsCss);

export const schema = {
  prompt: text(200, 'little frog said'),
  k1: number(0, 3, 1.2),
  b: number(0, 1, 0.75),
};

type State = StateOf<typeof schema>;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  ctx.status('loading', 'Loading the stories…');
  const stories = await loadStories();
  const { form } = promptForm(ctx, { maxLength: schema.prompt.maxLength, label: 'Query' }, (prompt) => {
    ctx.setState({ prompt });
    draw();
  });
  const grid = element('div', 'dw-grid');
  const k1 = slider('k1', { min: 0, max: 3, step: 0.1, value: ctx.state.k1 });
  const b = slider('b', { min: 0, max: 1, step: 0.05, value: ctx.state.b });
  grid.append(k1.label, b.label);
  const readout = element('p', 'mw-readout');
  readout.setAttribute('aria-live', 'polite');
  const table = element('table', 'mw-table');
  el.append(form, grid, readout, tableScroller(table, 'Every story’s BM25 score for the query'));

  function draw(): void {
    k1.output.value = ctx.state.k1.toFixed(1);
    b.output.value = ctx.state.b.toFixed(2);
    const terms = [...new Set(retrievalTerms(ctx.state.prompt))];
    if (terms.length === 0) {
      el.dataset.state = 'invalid';
      ctx.status('error', 'The query has no words to count: type a few English words from the stories, such as little frog said.');
      return;
    }
    const index = new Bm25Index(stories, { k1: ctx.state.k1, b: ctx.state.b });
    const hits = index.search(ctx.state.prompt);
    readout.textContent =
      `${stories.length} stories, ${formatNumber(index.meanLength, 1)} words on average. IDF of the query words: ` +
      terms.map((term) => `${term} ${formatNumber(index.idf(term), 2)}`).join(', ') + '.';
    fillTable(
      table,
      `Every story, best first: its score is the sum of the query words’ shares (k1 = ${ctx.state.k1.toFixed(1)}, b = ${ctx.state.b.toFixed(2)})`,
      ['rank', 'story begins', 'words', 'BM25', ...terms],
      hits.map((hit, rank) => [
        rank + 1,
        `${stories[hit.passage].slice(0, 40)}…`,
        index.lengths[hit.passage],
        formatNumber(hit.score, 3),
        ...terms.map((term) => {
          const t = hit.terms.find((x) => x.term === term);
          return t ? `${formatNumber(t.score, 2)} (×${t.frequency})` : '·';
        }),
      ]),
      { rowHeaders: true },
    );
    el.dataset.state = 'done';
    el.dataset.ranking = hits.map((h) => h.passage).join(',');
    el.dataset.scores = hits.map((h) => h.score.toFixed(6)).join(',');
    ctx.status('ready');
  }

  for (const [control, key] of [[k1, 'k1'], [b, 'b']] as const) {
    control.input.addEventListener(
      'input',
      () => {
        ctx.setState({ [key]: Number(control.input.value) } as Partial<State>);
        draw();
      },
      { signal: ctx.signal },
    );
  }
  draw();
}

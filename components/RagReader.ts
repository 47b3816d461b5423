// Retrieve, then read: the reader's question (a cloze such as `"Poor little frog," said`) is also
// the BM25 query over our 16 validation stories; the best passage (and, if asked, the second-best
// as a distractor before or after it) goes into the context ahead of the question; the model
// continues it greedily, and the two name heads' attention from the question's last token shows
// which passage it read the name from.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import ragWidgetsCss from './ragWidgets.css?url';
import { probabilityBars } from '../src/charts/probabilityBars';
import {
  answerWord,
  assembleContext,
  attentionBySpan,
  Bm25Index,
  contextPassages,
  DISTRACTOR_PLACES,
  meanRows,
  NAME_HEADS,
  type ContextSpan,
  type DistractorPlace,
} from '../src/chapters/retrieval';
import { layerTap } from '../src/llama/taps';
import { cleanPrompt } from '../src/widgets/prompt';
import { choice, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, onWidthChange, promptForm, radioGroup, reportFailure, reportRun, tableScroller } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import { loadStories } from './ragParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(ragWidgetsCss);

export const needsShippedModel = 'it retrieves from our stories and reads the attention of our model’s two name heads';

export const schema = {
  prompt: text(200, '"Poor little frog," said'),
  distractor: choice(DISTRACTOR_PLACES, 'none'),
};

type State = StateOf<typeof schema>;

const DISTRACTOR_LABELS: Record<DistractorPlace, string> = { none: 'none', before: 'before the passage', after: 'after the passage' };
/** Greedy tokens generated for the answer: a name is one to three tokens. */
const ANSWER_TOKENS = 4;

function spanLabel(span: ContextSpan): string {
  if (span.kind === 'bos') return '<s>';
  if (span.kind === 'question') return 'question';
  return span.role === 'retrieved' ? 'retrieved' : 'distractor';
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const context = model.config.max_position_embeddings;
  const stories = await loadStories();
  const index = new Bm25Index(stories);
  const tokenizer = await pageTokenizer(runtime);

  const { form } = promptForm(ctx, { maxLength: schema.prompt.maxLength, label: 'Question (a cloze: the start of a sentence whose next word is the answer)' }, (prompt) => {
    ctx.setState({ prompt });
    void run();
  });
  const places = radioGroup(
    'Distractor',
    `${ctx.id}-distractor`,
    DISTRACTOR_PLACES.map((place) => [place, DISTRACTOR_LABELS[place]] as const),
    ctx.state.distractor,
    {
      signal: ctx.signal,
      onChange: (distractor) => {
        ctx.setState({ distractor });
        void run();
      },
    },
  );
  const hitsTable = element('table', 'mw-table rag-hits');
  const answer = element('p', 'mw-readout rag-answer');
  answer.setAttribute('aria-live', 'polite');
  const contextView = element('div', 'rag-context');
  contextView.tabIndex = 0;
  contextView.setAttribute('role', 'region');
  contextView.setAttribute('aria-label', 'The context the model reads, each token shaded by the name heads’ attention');
  const chart = element('div', 'mw-chart');
  el.append(form, places.fieldset, tableScroller(hitsTable, 'Passages ranked by BM25'), answer, element('p', 'rag-label', `Context, shaded by the attention of layer ${NAME_HEADS.layer}, heads ${NAME_HEADS.heads.join(' and ')} (the name heads) from the last token:`), contextView, chart);

  let shares: { label: string; probability: number }[] = [];
  const drawChart = () => {
    if (shares.length) chart.replaceChildren(probabilityBars(shares, { width: Math.max(240, el.clientWidth) }));
  };
  onWidthChange(el, ctx.signal, drawChart);

  let runs = 0;
  async function run(): Promise<void> {
    const runId = ++runs;
    el.dataset.state = 'running';
    const question = cleanPrompt(ctx.state.prompt).trim();
    if (question === '') {
      el.dataset.state = 'invalid';
      ctx.status('error', 'The question is empty: type the start of a sentence whose next word is a name, such as "Poor little frog," said');
      return;
    }
    const hits = index.search(question);
    if (hits[0].score === 0) {
      el.dataset.state = 'invalid';
      ctx.status('error', 'No story shares a word with the question, so there is nothing to retrieve: use words from the stories (frog, race, pond, cow…).');
      return;
    }
    const passages = contextPassages(hits, ctx.state.distractor).map((p) => ({ ...p, text: stories[p.passage] }));
    const encode = (text: string) => tokenizer.encode(text, { bos: false });
    const { ids, spans } = assembleContext(encode, tokenizer.bosId, passages, question);
    if (ids.length + ANSWER_TOKENS > context) {
      el.dataset.state = 'invalid';
      ctx.status('error', `The passages and the question are ${ids.length} tokens; with ${ANSWER_TOKENS} for the answer the model reads at most ${context}. Shorten the question.`);
      return;
    }
    ctx.status('loading', 'Reading the passages…');
    try {
      const tap = layerTap(NAME_HEADS.layer, 'attn.probs');
      const forward = await runtime.forward({ ids: [ids], taps: [tap] });
      const generated = await runtime.generate({ ids, maxNewTokens: ANSWER_TOKENS, temperature: 0 }).result;
      if (runId !== runs || ctx.signal.aborted) return;
      const n = ids.length;
      const probs = forward.taps[tap].data;
      const row = meanRows(NAME_HEADS.heads.map((head) => probs.subarray((head * n + n - 1) * n, (head * n + n) * n)));
      const bySpan = attentionBySpan(row, spans);
      const word = answerWord(generated.text);

      fillTable(
        hitsTable,
        'The three best passages for the question (BM25, k1 = 1.2, b = 0.75)',
        ['rank', 'story begins', 'BM25', 'matched words', 'in the context'],
        hits.slice(0, 3).map((hit, rank) => {
          const used = passages.find((p) => p.passage === hit.passage);
          return [
            rank + 1,
            `${stories[hit.passage].slice(0, 36)}…`,
            formatNumber(hit.score, 2),
            hit.terms.map((t) => `${t.term} ${formatNumber(t.score, 2)}`).join(', ') || '—',
            used ? used.role : '—',
          ];
        }),
        { rowHeaders: true },
      );

      const where = spans.find((s) => s.kind === 'passage' && new RegExp(`\\b${word}\\b`).test(stories[s.passage!]));
      answer.textContent = word
        ? `The model continues “${question}” with “${word}”${where ? `, a name from the ${where.role} passage.` : ', which is in no passage of the context.'}`
        : `The model continues “${question}” with “${generated.text.trim()}”, not a name.`;

      // the context, each token shaded by the name heads' attention
      const pieces = ids.map((id) => tokenizer.idToPiece(id));
      const largest = Math.max(...row.slice(1));
      contextView.replaceChildren(
        ...spans.map((span) => {
          const block = element('p', `rag-span rag-span--${span.kind === 'passage' ? span.role : span.kind}`);
          block.append(element('span', 'rag-span__label', `${spanLabel(span)} · ${(bySpan[spans.indexOf(span)] * 100).toFixed(1)}%`));
          for (let i = span.start; i < span.end; i++) {
            const token = element('span', 'rag-token', pieces[i].replace(/\u2581/g, ' '));
            const weight = row[i] / largest;
            if (weight > 0.02) token.style.setProperty('--weight', String(Math.min(1, weight)));
            token.title = `${(row[i] * 100).toFixed(1)}%`;
            block.append(token);
          }
          return block;
        }),
      );
      shares = spans.map((span, i) => ({ label: spanLabel(span), probability: bySpan[i] }));
      drawChart();

      el.dataset.state = 'done';
      el.dataset.answer = word;
      el.dataset.passages = passages.map((p) => p.passage).join(',');
      el.dataset.shares = bySpan.map((x) => x.toFixed(4)).join(',');
      reportRun(ctx, []);
    } catch (error) {
      if (runId === runs) {
        el.dataset.state = 'invalid';
        reportFailure(ctx, error);
      }
    }
  }
  await run();
}

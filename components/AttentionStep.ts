// Step through one head: for one query token, the numbers of scaled dot-product attention in the
// order the maths goes (q, q.k_j, / sqrt(d), the causal mask, softmax, sum of p_j v_j), computed
// here from the model's q/k/v taps and checked against its own scores and probs taps.
import { attendOne, kvHeadOf, tapHead, tapRow } from '../src/chapters/attention';
import { promptProblem } from '../src/widgets/prompt';
import { layerTap } from '../src/llama/taps';
import { integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { checkLinkedLayerHead, element, formatNumber, loadModel, numberSelect, promptForm, reportFailure, reportRun, scrollNote, tableScroller, tokenLabels } from './modelWidgetParts';
import { promptTokenCount } from './promptTokens';

export const schema = {
  prompt: text(200, 'The cat sat on the mat.'),
  layer: integer(0, 31, 0),
  head: integer(0, 31, 0),
  /** The query position; -1 is the last token. */
  query: integer(-1, 255, -1),
};
type State = StateOf<typeof schema>;

const TAPS = ['attn.q_rotated', 'attn.k_rotated', 'attn.v', 'attn.scores', 'attn.probs'] as const;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const { num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads, max_position_embeddings: context } = model.config;
  const notes = checkLinkedLayerHead(ctx, layers, heads);

  const { form } = promptForm(ctx, { maxLength: schema.prompt.maxLength }, (prompt) => {
    ctx.setState({ prompt, query: -1 });
    void run();
  });
  const layerSelect = numberSelect('Layer', layers, ctx.state.layer);
  const headSelect = numberSelect('Head', heads, ctx.state.head);
  const { label: queryLabel, select: querySelect } = numberSelect('Query token', 0, 0);
  const controls = element('div', 'mw-controls');
  controls.append(layerSelect.label, headSelect.label, queryLabel);
  const steps = element('div', 'mw-steps');
  el.append(form, controls, steps);

  let result: Awaited<ReturnType<typeof runtime.forward>> | null = null;
  let tokens: string[] = [];
  let runNumber = 0;

  function draw(): void {
    if (!result) return;
    const { layer, head } = ctx.state;
    const tap = (name: (typeof TAPS)[number]) => result!.taps[layerTap(layer, name)];
    const query = ctx.state.query < 0 || ctx.state.query >= tokens.length ? tokens.length - 1 : ctx.state.query;
    const kv = kvHeadOf(head, heads, kvHeads);
    const q = tapRow(tap('attn.q_rotated'), head, query);
    const keys = tapHead(tap('attn.k_rotated'), kv);
    const values = tapHead(tap('attn.v'), kv);
    const step = attendOne(q, keys, values, query);
    const engineScores = tapRow(tap('attn.scores'), head, query);
    const engineProbs = tapRow(tap('attn.probs'), head, query);
    let gap = 0;
    for (let j = 0; j <= query; j++) gap = Math.max(gap, Math.abs(step.masked[j] - engineScores[j]), Math.abs(step.probs[j] - engineProbs[j]));
    const d = q.length;
    const vector = (x: number[]) => `[${x.map((v) => formatNumber(v, 2)).join(', ')}]`;

    const intro = element('p', 'mw-readout');
    intro.textContent =
      `1. The query: q for “${tokens[query]}” (position ${query}), layer ${layer}, head ${head}, after RoPE; d = ${d}. ` +
      `This head reads key/value head ${kv} (grouped-query attention: ${heads / kvHeads} query heads share it). q = ${vector(q)}`;
    const table = element('table', 'mw-table mw-table--wrap-headings');
    table.createCaption().textContent = `2–5. Scores, scaling, mask and softmax for query “${tokens[query]}” over every key`;
    const head_ = table.createTHead().insertRow();
    for (const label of ['key', 'q·k', `÷ √${d}`, 'masked', 'softmax p']) head_.append(element('th', undefined, label));
    const body = table.createTBody();
    const best = step.probs.indexOf(Math.max(...step.probs));
    keys.forEach((_, j) => {
      const row = body.insertRow();
      row.className = j > query ? 'mw-row--masked' : j === best ? 'mw-row--best' : '';
      row.dataset.key = String(j);
      for (const cell of [`${j} ${tokens[j]}`, formatNumber(step.dots[j]), formatNumber(step.scaled[j]), formatNumber(step.masked[j]), formatNumber(step.probs[j], 4)]) {
        row.insertCell().textContent = cell;
      }
    });
    const wrap = tableScroller(table, 'Scores table');
    const sum = step.probs.reduce((a, b) => a + b, 0);
    const out = element('p', 'mw-readout');
    out.textContent = `6. The output: Σ p_j v_j over the ${query + 1} visible keys (the p sum to ${formatNumber(sum, 4)}) = ${vector(step.out)}`;
    const check = element('p', 'mw-readout mw-check');
    check.dataset.gap = String(gap);
    check.textContent = `Check: the model's own scores and probabilities for this query (its attn.scores and attn.probs taps) differ from the columns above by at most ${gap.toExponential(1)}.`;
    steps.replaceChildren(intro, scrollNote(wrap, 'The table is wider than this screen: scroll it sideways to see every column.', ctx.signal), wrap, out, check);
  }

  function fillQueries(): void {
    querySelect.replaceChildren(...tokens.map((token, i) => new Option(`${i}: ${token}`, String(i))));
    const query = ctx.state.query < 0 || ctx.state.query >= tokens.length ? tokens.length - 1 : ctx.state.query;
    querySelect.value = String(query);
  }

  async function run(): Promise<void> {
    const prompt = ctx.state.prompt;
    const thisRun = ++runNumber;
    const early = promptProblem(prompt, await promptTokenCount(runtime, prompt), context);
    if (early) return showProblem(early);
    ctx.status('loading', 'Running the model…');
    try {
      const forward = await runtime.forward({ text: prompt, taps: TAPS.map((name) => layerTap(ctx.state.layer, name)) });
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      const problem = promptProblem(prompt, forward.inputIds[0].length, context);
      if (problem) return showProblem(problem);
      result = forward;
      tokens = tokenLabels(forward);
      fillQueries();
      draw();
      reportRun(ctx, notes);
    } catch (error) {
      reportFailure(ctx, error);
    }
  }

  function showProblem(message: string): void {
    result = null;
    steps.replaceChildren();
    querySelect.replaceChildren();
    ctx.status('note', message);
  }

  layerSelect.select.addEventListener(
    'change',
    () => {
      ctx.setState({ layer: Number(layerSelect.select.value) });
      void run(); // the taps are per layer
    },
    { signal: ctx.signal },
  );
  headSelect.select.addEventListener(
    'change',
    () => {
      ctx.setState({ head: Number(headSelect.select.value) });
      draw();
    },
    { signal: ctx.signal },
  );
  querySelect.addEventListener(
    'change',
    () => {
      ctx.setState({ query: Number(querySelect.value) });
      draw();
    },
    { signal: ctx.signal },
  );
  await run();
}

// The real model's next-token distribution for the reader's prompt, before and after the logits
// processors of src/llama/sampling.ts (Hugging Face order): which token each processor removes,
// and the renormalised probabilities the next token is drawn from. Step forward by sampling
// (seeded) or by choosing a token.
import decodingWidgetsCss from './decodingWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { filteredTokenBars } from '../src/charts/filteredTokenBars';
import { formatPercent } from '../src/charts/probabilityBars';
import { displayPiece, stageLogits, topIds } from '../src/chapters/decoding';
import { createRandom } from '../src/llama/rng';
import { chooseNextToken, validateSamplingOptions, type SamplingOptions } from '../src/llama/sampling';
import { integer, number, parseIntegerList, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, hiddenTable, loadModel, onWidthChange, slider } from './modelWidgetParts';
import { pageTokenizer, promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(decodingWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

export const schema = {
  /** Six tokens share the mass here (little, happy, kind, small, girl, boy), so every cut shows. */
  prompt: text(600, 'Once upon a time, there was a'),
  /** 0 = greedy. */
  temperature: number(0, 2, 1),
  /** Hugging Face's default top_k is 50. */
  topK: integer(1, 5000, 50),
  topP: number(0.01, 1, 1),
  minP: number(0, 1, 0),
  /** Locally typical sampling mass; 1 = off. */
  typicalP: number(0.01, 1, 1),
  repetitionPenalty: number(0.5, 3, 1),
  seed: integer(0, 99999, 1),
  /** Tokens added after the prompt, as comma-separated ids. */
  added: text(2000, ''),
};

type State = StateOf<typeof schema>;

const ROWS = 12;

/** "12,7,300" -> [12, 7, 300]; null when any entry is not a token id of this vocabulary. */
export function parseAdded(added: string, vocab: number): number[] | null {
  return parseIntegerList(added, 0, vocab - 1);
}

export function samplingOptions(state: State): SamplingOptions {
  return {
    temperature: state.temperature,
    topK: state.topK,
    topP: state.topP,
    minP: state.minP,
    typicalP: state.typicalP,
    repetitionPenalty: state.repetitionPenalty,
  };
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const vocab = model.config.vocab_size;
  let standingNote = '';

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run(), { added: '' });
  const grid = element('div', 'dw-grid');
  const temperature = slider('Temperature', { min: 0, max: 2, step: 0.05, value: ctx.state.temperature });
  const topP = slider('Top-p', { min: 0.01, max: 1, step: 0.01, value: ctx.state.topP });
  const minP = slider('Min-p', { min: 0, max: 1, step: 0.01, value: ctx.state.minP });
  const typicalP = slider('Typical', { min: 0.01, max: 1, step: 0.01, value: ctx.state.typicalP });
  const penalty = slider('Repetition penalty', { min: 0.5, max: 3, step: 0.05, value: ctx.state.repetitionPenalty });
  const topKLabel = element('label');
  const topK = element('input');
  topK.type = 'number';
  topK.min = '1';
  topK.max = String(vocab);
  topK.step = '1';
  topK.value = String(ctx.state.topK);
  topKLabel.append('Top-k', topK);
  const seedLabel = element('label');
  const seed = element('input');
  seed.type = 'number';
  seed.min = '0';
  seed.max = String(schema.seed.max);
  seed.value = String(ctx.state.seed);
  seedLabel.append('Seed', seed);
  grid.append(temperature.label, topKLabel, topP.label, minP.label, typicalP.label, penalty.label, seedLabel);

  const buttons = element('div', 'dw-buttons');
  const sampleButton = element('button', 'mw-button', 'Sample next token');
  const undoButton = element('button', 'mw-button', 'Remove last token');
  const resetButton = element('button', 'mw-button', 'Back to the prompt');
  for (const button of [sampleButton, undoButton, resetButton]) button.type = 'button';
  buttons.append(sampleButton, undoButton, resetButton);
  const textView = element('p', 'dw-text');
  // A paragraph may not carry aria-label (axe: aria-prohibited-attr); a hidden lead-in names it.
  const textLabel = element('span', 'mw-hidden', 'Prompt and added tokens: ');
  const summary = element('p', 'mw-readout');
  summary.setAttribute('aria-live', 'polite');
  const chart = element('div', 'mw-chart');
  const alternative = element('div');
  el.append(form, grid, buttons, textView, summary, chart, alternative);

  /** The ids the model sees, the logits of the next position, and the labels of the top rows. */
  let current: { ids: number[]; logits: Float32Array } | null = null;
  let redraw: (() => void) | null = null;
  let runs = 0;

  async function run(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    const prepared = await promptIds(runtime, model, ctx.state.prompt, 1);
    if (prepared.problem !== null) {
      current = null;
      ctx.status('error', prepared.problem);
      return;
    }
    let added = parseAdded(ctx.state.added, vocab);
    if (added === null) {
      standingNote = `The link's added tokens "${ctx.state.added.slice(0, 40)}" are not token ids of this model (0 to ${vocab - 1}); starting from the prompt.`;
      ctx.setState({ added: '' });
      added = [];
    }
    const ids = [...prepared.ids, ...added].slice(0, model.config.max_position_embeddings);
    ctx.status('loading', 'Running the model…');
    try {
      const result = await runtime.forward({ ids: [ids] });
      if (runId !== runs || ctx.signal.aborted) return;
      const [, seq] = result.logits.shape;
      current = { ids, logits: Float32Array.from(result.logits.data.subarray((seq - 1) * vocab, seq * vocab)) };
      const tokenizer = await pageTokenizer(runtime);
      const promptText = tokenizer.decode(prepared.ids);
      const fullText = tokenizer.decode(ids);
      // The added tokens are marked; decode() of the whole keeps multi-byte characters intact.
      textView.replaceChildren(textLabel, fullText.startsWith(promptText) ? promptText : fullText);
      if (added.length > 0 && fullText.startsWith(promptText)) textView.append(element('mark', undefined, fullText.slice(promptText.length)));
      await redrawDistribution();
      ctx.status(standingNote ? 'note' : 'ready', standingNote);
    } catch (error) {
      ctx.status('error', error instanceof Error ? error.message : String(error));
    }
  }

  /** Apply the processors to the cached logits (no forward pass: only the settings changed). */
  async function redrawDistribution(): Promise<void> {
    if (!current) return;
    const options = samplingOptions(ctx.state);
    const staged = stageLogits(current.logits, current.ids, options);
    const rows = topIds(staged.rawProbabilities, ROWS);
    const labels = (await runtime.pieces(rows)).pieces.map(displayPiece);
    const data = rows.map((id, i) => ({
      label: labels[i],
      rawProbability: staged.rawProbabilities[id],
      probability: staged.probabilities[id],
      removedBy: staged.removedBy[id],
    }));
    const kept = staged.probabilities.reduce((count, p) => count + (p > 0 ? 1 : 0), 0);
    const cutCounts = new Map<string, number>();
    for (const name of staged.removedBy) if (name) cutCounts.set(name, (cutCounts.get(name) ?? 0) + 1);
    summary.textContent =
      `${kept} of ${vocab} tokens can be drawn` +
      (cutCounts.size > 0 ? `; removed: ${[...cutCounts].map(([name, count]) => `${count} by ${name}`).join(', ')}.` : '; no processor removed any.') +
      ` Faint bars: the model's own probabilities; solid: after the processors, renormalised.`;
    redraw = () => {
      chart.replaceChildren(filteredTokenBars(data, { width: Math.max(280, chart.clientWidth) }));
      for (const row of chart.querySelectorAll<SVGGElement>('.chart-token-row')) {
        const choose = () => void append(rows[Number(row.dataset.index)]);
        row.addEventListener('click', choose);
        row.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            choose();
          }
        });
      }
    };
    redraw();
    alternative.replaceChildren(
      hiddenTable(
        'Next-token probabilities before and after the processors',
        ['token', 'model probability', 'after processors'],
        data.map((d) => [d.label, formatPercent(d.rawProbability), d.removedBy ? `removed by ${d.removedBy}` : formatPercent(d.probability)]),
      ),
    );
  }

  async function append(id: number): Promise<void> {
    if (!current) return;
    if (current.ids.length + 1 >= model.config.max_position_embeddings) {
      ctx.status('error', `The text fills the model's context (${model.config.max_position_embeddings} tokens); remove tokens or go back to the prompt.`);
      return;
    }
    const added = parseAdded(ctx.state.added, vocab) ?? [];
    ctx.setState({ added: [...added, id].join(',') });
    await run();
  }

  /** A control's new value: checked by sampling.ts before it is stored; a bad one is explained. */
  function update(patch: Partial<State>, fromNumberBox = false): void {
    const problem = validateSamplingOptions(samplingOptions({ ...ctx.state, ...patch }));
    if (problem || (fromNumberBox && Object.values(patch).some((value) => !Number.isFinite(value)))) {
      ctx.status('error', `${problem ?? 'Type a number.'} The figure keeps the last valid setting.`);
      return;
    }
    if (patch.topK !== undefined && patch.topK > schema.topK.max) return ctx.status('error', `Top-k can be at most ${schema.topK.max} here.`);
    if (patch.seed !== undefined && !(Number.isInteger(patch.seed) && patch.seed >= 0 && patch.seed <= schema.seed.max)) {
      return ctx.status('error', `The seed must be a whole number from 0 to ${schema.seed.max}.`);
    }
    ctx.setState(patch);
    ctx.status(standingNote ? 'note' : 'ready', standingNote);
    void redrawDistribution();
  }

  const sliders: [ReturnType<typeof slider>, keyof State, number][] = [
    [temperature, 'temperature', 2],
    [topP, 'topP', 2],
    [minP, 'minP', 2],
    [typicalP, 'typicalP', 2],
    [penalty, 'repetitionPenalty', 2],
  ];
  for (const [control, name, digits] of sliders) {
    control.output.value = Number(ctx.state[name]).toFixed(digits);
    control.input.addEventListener('input', () => {
      control.output.value = Number(control.input.value).toFixed(digits);
      update({ [name]: Number(control.input.value) });
    }, { signal: ctx.signal });
  }
  topK.addEventListener('change', () => update({ topK: topK.value === '' ? NaN : Number(topK.value) }, true), { signal: ctx.signal });
  seed.addEventListener('change', () => update({ seed: seed.value === '' ? NaN : Number(seed.value) }, true), { signal: ctx.signal });
  sampleButton.addEventListener('click', () => {
    if (!current) return;
    const step = parseAdded(ctx.state.added, vocab)?.length ?? 0;
    // One seeded generator per step, so the same link draws the same token.
    const id = chooseNextToken(current.logits, current.ids, samplingOptions(ctx.state), createRandom(ctx.state.seed * 1000 + step));
    void append(id);
  }, { signal: ctx.signal });
  undoButton.addEventListener('click', () => {
    const added = parseAdded(ctx.state.added, vocab) ?? [];
    ctx.setState({ added: added.slice(0, -1).join(',') });
    void run();
  }, { signal: ctx.signal });
  resetButton.addEventListener('click', () => {
    ctx.setState({ added: '' });
    void run();
  }, { signal: ctx.signal });
  onWidthChange(chart, ctx.signal, () => redraw?.());
  await run();
}

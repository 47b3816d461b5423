// Rotating pairs: the query vector of one token (layer, head, from the model's attn.q tap, before
// RoPE) cut into its d/2 pairs, each drawn as an arrow turned by position * theta_i. Sliders move
// the position and the base; pair 0 spins fastest, the last pair barely moves.
import { pairArrows, updatePairArrows } from '../src/charts/pairArrows';
import { tapRow } from '../src/chapters/attention';
import { promptProblem } from '../src/widgets/prompt';
import { applyRope, pairsOf, ropeFrequencies } from '../src/chapters/rope';
import { layerTap } from '../src/llama/taps';
import { integer, number, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { checkLinkedLayerHead, element, fillTable, formatNumber, loadModel, numberSelect, onWidthChange, prefersReducedMotion, promptForm, reportFailure, reportRun, slider, tokenLabels } from './modelWidgetParts';
import { promptTokenCount } from './promptTokens';

export const schema = {
  prompt: text(200, 'Once upon a time there was a fox.'),
  layer: integer(0, 31, 0),
  head: integer(0, 31, 0),
  /** m: the position the query is rotated to. */
  position: integer(0, 1000, 5),
  /** RoPE's base (rope_theta). */
  base: number(100, 1_000_000, 10000),
};
type State = StateOf<typeof schema>;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const { num_hidden_layers: layers, num_attention_heads: heads, max_position_embeddings: context, rope_theta: modelBase, rope_layout: layout } = model.config;
  const notes = checkLinkedLayerHead(ctx, layers, heads);

  const { form } = promptForm(ctx, { maxLength: schema.prompt.maxLength }, (prompt) => {
    ctx.setState({ prompt });
    void run();
  });
  const layerSelect = numberSelect('Layer', layers, ctx.state.layer);
  const headSelect = numberSelect('Head', heads, ctx.state.head);
  const positionSlider = slider('Position m', { min: 0, max: schema.position.max, step: 1, value: ctx.state.position });
  // the base moves on a log scale: the slider holds log10(base)
  const baseSlider = slider('Base', { min: 2, max: 6, step: 0.05, value: Math.log10(ctx.state.base) });
  const play = element('button', 'mw-button', 'Play');
  play.type = 'button';
  play.setAttribute('aria-pressed', 'false');
  const controls = element('div', 'mw-controls');
  controls.append(layerSelect.label, headSelect.label);
  const sliders = element('div', 'mw-controls');
  sliders.append(positionSlider.label, baseSlider.label);
  if (!prefersReducedMotion()) sliders.append(play);
  const chart = element('div', 'mw-chart');
  const readout = element('p', 'mw-readout');
  const check = element('p', 'mw-readout mw-check');
  const tableBox = element('div');
  const table = element('table', 'mw-hidden');
  el.append(form, controls, sliders, chart, readout, check, tableBox);

  let q: number[] = [];
  let qRotatedByModel: number[] = [];
  let token = '';
  let tokenPosition = 0;
  let runNumber = 0;

  function draw(): void {
    if (q.length === 0) return;
    // layout is read before anything is written, so reading it costs no extra layout pass
    const width = Math.max(240, el.clientWidth);
    const { position, base } = ctx.state;
    positionSlider.output.value = String(position);
    baseSlider.output.value = formatNumber(base, 0);
    positionSlider.input.setAttribute('aria-valuetext', `position ${position}`);
    baseSlider.input.setAttribute('aria-valuetext', `base ${formatNumber(base, 0)}`);
    const d = q.length;
    const thetas = ropeFrequencies(d, base);
    const rotated = applyRope(q, position, base, layout);
    const before = pairsOf(q, layout);
    const after = pairsOf(rotated, layout);
    const pairs = before.map((pair, i) => ({ before: pair, after: after[i], theta: thetas[i] }));
    // a slider turns the arrows of the chart it has; a new q or width draws a new one
    const drawn = chart.querySelector('svg');
    if (!drawn || !updatePairArrows(drawn, pairs, { width })) chart.replaceChildren(pairArrows(pairs, { width }));
    const last = d / 2 - 1;
    const turns = (i: number) => (position * thetas[i]) / (2 * Math.PI);
    readout.textContent =
      `q of “${token}” (layer ${ctx.state.layer}, head ${ctx.state.head}) has ${d / 2} pairs. At position ${position} with base ${formatNumber(base, 0)}, ` +
      `pair 0 has turned ${formatNumber(position * thetas[0], 2)} rad (${formatNumber(turns(0), 2)} turns); pair ${last} only ${formatNumber(position * thetas[last], 4)} rad (${formatNumber(turns(last), 4)} turns).`;
    // Compare with the model: it rotated this token at its own position with its own base.
    let gap = 0;
    for (let c = 0; c < d; c++) gap = Math.max(gap, Math.abs(rotated[c] - qRotatedByModel[c]));
    const matches = position === tokenPosition && Math.abs(base - modelBase) < 1e-9;
    check.dataset.gap = matches ? String(gap) : '';
    check.textContent = matches
      ? `This is the rotation the model applied: it matches the model's q_rotated tap to within ${gap.toExponential(1)}.`
      : `In the model, “${token}” sits at position ${tokenPosition} and the base is ${modelBase}: set those to see the model's own rotation.`;
    // the text alternative: refilled in place, so a slider step changes only the texts that differ
    if (!table.isConnected) tableBox.replaceChildren(table);
    fillTable(
      table,
      `Each pair's angle per position and its rotation at position ${position}`,
      ['pair', 'theta (rad per position)', 'angle turned (rad)', 'x after', 'y after'],
      after.map(([x, y], i) => [i, thetas[i].toExponential(3), formatNumber(position * thetas[i], 3), formatNumber(x), formatNumber(y)]),
      { inPlace: true },
    );
  }

  async function run(): Promise<void> {
    const prompt = ctx.state.prompt;
    const thisRun = ++runNumber;
    const early = promptProblem(prompt, await promptTokenCount(runtime, prompt), context);
    if (early) return showProblem(early);
    ctx.status('loading', 'Running the model…');
    try {
      const result = await runtime.forward({ text: prompt, taps: [layerTap(ctx.state.layer, 'attn.q'), layerTap(ctx.state.layer, 'attn.q_rotated')] });
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      const problem = promptProblem(prompt, result.inputIds[0].length, context);
      if (problem) return showProblem(problem);
      const tokens = tokenLabels(result);
      tokenPosition = tokens.length - 1;
      token = tokens[tokenPosition];
      q = tapRow(result.taps[layerTap(ctx.state.layer, 'attn.q')], ctx.state.head, tokenPosition);
      qRotatedByModel = tapRow(result.taps[layerTap(ctx.state.layer, 'attn.q_rotated')], ctx.state.head, tokenPosition);
      draw();
      reportRun(ctx, notes);
    } catch (error) {
      reportFailure(ctx, error);
    }
  }

  function showProblem(message: string): void {
    q = [];
    chart.replaceChildren();
    readout.textContent = '';
    check.textContent = '';
    tableBox.replaceChildren();
    ctx.status('note', message);
  }

  let timer = 0;
  function stop(): void {
    clearInterval(timer);
    timer = 0;
    play.textContent = 'Play';
    play.setAttribute('aria-pressed', 'false');
  }
  play.addEventListener(
    'click',
    () => {
      if (timer) return stop();
      play.textContent = 'Pause';
      play.setAttribute('aria-pressed', 'true');
      timer = window.setInterval(() => {
        const position = (ctx.state.position + 1) % (context + 1);
        ctx.setState({ position });
        positionSlider.input.value = String(position);
        draw();
      }, 120);
    },
    { signal: ctx.signal },
  );
  ctx.signal.addEventListener('abort', stop);
  positionSlider.input.addEventListener(
    'input',
    () => {
      ctx.setState({ position: Number(positionSlider.input.value) });
      draw();
    },
    { signal: ctx.signal },
  );
  baseSlider.input.addEventListener(
    'input',
    () => {
      // round to 3 significant digits so links stay short
      ctx.setState({ base: Number((10 ** Number(baseSlider.input.value)).toPrecision(3)) });
      draw();
    },
    { signal: ctx.signal },
  );
  layerSelect.select.addEventListener('change', () => (ctx.setState({ layer: Number(layerSelect.select.value) }), void run()), { signal: ctx.signal });
  headSelect.select.addEventListener('change', () => (ctx.setState({ head: Number(headSelect.select.value) }), void run()), { signal: ctx.signal });
  onWidthChange(el, ctx.signal, draw);
  await run();
}

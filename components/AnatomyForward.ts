// The model, opened up: the forward pass of our model as a diagram of boxes (embedding, each
// layer's norms, attention, residual adds and MLP, the final norm and the output layer). Every
// box is a button; the chosen one shows the live tensor the engine's tap returns for the reader's
// prompt: its shape, the chosen token's values as a heatmap, and statistics. The output layer's
// box adds the softmax: the next-token probabilities.
import anatomyWidgetsCss from './anatomyWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { probabilityBars } from '../src/charts/probabilityBars';
import { valueGrid } from '../src/charts/valueGrid';
import { FORWARD_STEPS, stepShape, stepTap, vectorStats, type ForwardStep } from '../src/chapters/anatomy';
import { topIds } from '../src/chapters/decoding';
import { softmax } from '../src/llama/math';
import type { TapName } from '../src/llama/taps';
import type { ForwardResult } from '../src/runtime/client';
import { pieceLabel } from '../src/widgets/pieces';
import { kitStrings } from '../src/widgets/strings';
import { choice, integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { controlId, element, formatNumber, loadModel, numberSelect, onWidthChange, reportFailure, reportRun, tokenLabels } from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(anatomyWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

const STEP_IDS = FORWARD_STEPS.map((step) => step.tap);

export const schema = {
  prompt: text(600, 'Once upon a time, there was a little girl named Lily. She'),
  /** The box shown (a tap: 'embed', 'attn.out', 'logits', ...). */
  box: choice(STEP_IDS, 'attn.out'),
  /** The layer of a per-layer box (0-based; checked against the model when it loads). */
  layer: integer(0, 63, 0),
  /** The token whose vector the heatmap shows; -1 is the last. */
  token: integer(-1, 255, -1),
};

type State = StateOf<typeof schema>;

const TOP_TOKENS = 5;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const { config } = model;
  const layers = config.num_hidden_layers;
  const notes: string[] = [];
  if (ctx.state.layer >= layers) {
    notes.push(kitStrings.linkLayerOutOfRange(ctx.state.layer, layers));
    ctx.setState({ layer: 0 });
  }

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run(), { token: -1 });
  const controls = element('div', 'mw-controls');
  const tokenWrap = element('span', 'mw-select');
  const tokenSelect = element('select');
  tokenSelect.id = controlId('an-token');
  const tokenCaption = element('label', undefined, 'Token');
  tokenCaption.htmlFor = tokenSelect.id;
  tokenWrap.append(tokenCaption, tokenSelect);
  const layer = numberSelect('Layer', layers, ctx.state.layer);
  controls.append(tokenWrap, layer.label);

  const body = element('div', 'an-forward');
  const diagram = element('div', 'an-diagram');
  diagram.setAttribute('role', 'group');
  diagram.setAttribute('aria-label', 'The forward pass, box by box: choose a box to see its tensor');
  const detail = element('section', 'an-detail');
  detail.setAttribute('aria-live', 'polite');
  body.append(diagram, detail);
  el.append(form, controls, body);

  const buttons = new Map<string, HTMLButtonElement>();
  const box = (step: ForwardStep) => {
    const button = element('button', 'an-box');
    button.type = 'button';
    button.dataset.box = step.tap;
    button.append(element('span', 'an-box__label', step.label), element('span', 'an-box__shape', step.shape));
    button.addEventListener('click', () => choose(step.tap), { signal: ctx.signal });
    buttons.set(step.tap, button);
    return button;
  };
  const layerFrame = element('div', 'an-layer');
  const layerTitle = element('p', 'an-layer__title');
  layerFrame.append(layerTitle);
  for (const step of FORWARD_STEPS) {
    if (step.perLayer) layerFrame.append(box(step));
    else {
      if (step.tap === 'final_norm') diagram.append(layerFrame);
      diagram.append(box(step));
    }
  }
  // Up and down arrows move between the boxes, in the order the model computes them.
  diagram.addEventListener(
    'keydown',
    (event) => {
      if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
      const order = FORWARD_STEPS.map((step) => buttons.get(step.tap)!);
      const at = order.indexOf(document.activeElement as HTMLButtonElement);
      if (at < 0) return;
      event.preventDefault();
      const next = order[Math.min(order.length - 1, Math.max(0, at + (event.key === 'ArrowDown' ? 1 : -1)))];
      next.focus();
      choose(next.dataset.box as State['box']);
    },
    { signal: ctx.signal },
  );

  let result: ForwardResult | null = null;
  let labels: string[] = [];
  let latest: (() => void) | null = null;
  let runs = 0;

  function choose(tap: State['box']): void {
    ctx.setState({ box: tap });
    show();
  }

  /** The chosen token's index in the prompt. */
  function tokenIndex(): number {
    const count = labels.length;
    return ctx.state.token < 0 || ctx.state.token >= count ? count - 1 : ctx.state.token;
  }

  function show(): void {
    const current = result;
    if (!current) return;
    const step = FORWARD_STEPS.find((s) => s.tap === ctx.state.box)!;
    const layerIndex = ctx.state.layer;
    layerTitle.textContent = `Layer ${layerIndex} (each of the ${layers} layers)`;
    for (const [tap, button] of buttons) button.setAttribute('aria-pressed', String(tap === step.tap));
    const tap = stepTap(step, layerIndex);
    const tensor = tap === 'logits' ? current.logits : current.taps[tap];
    const tokens = labels.length;
    const [, width] = stepShape(step, tokens, config);
    const position = tokenIndex();
    const row = tensor.data.subarray(position * width, (position + 1) * width);
    const tokenStats = vectorStats(row);
    const allStats = vectorStats(tensor.data);
    detail.dataset.tap = tap;
    detail.dataset.shape = tensor.shape.join('x');
    detail.dataset.token = String(position);
    detail.dataset.tokenNorm = String(tokenStats.norm);
    detail.dataset.tensorMean = String(allStats.mean);
    const where = step.perLayer ? `Layer ${layerIndex}: ${step.label}` : step.label;
    const stat = (stats: typeof tokenStats) =>
      `mean ${formatNumber(stats.mean)}, std ${formatNumber(stats.std)}, min ${formatNumber(stats.min)}, max ${formatNumber(stats.max)}, length ${formatNumber(stats.norm, 2)}`;
    const heading = element('h3', undefined, where);
    const code = element('p', 'an-detail__tap');
    code.append(element('code', undefined, tap), ` · shape [${tensor.shape.join(', ')}] (batch, ${step.shape.replace(' × ', ', ')}) · ${step.formula}`);
    const tokenLine = element('p', 'mw-readout', `Token ${position} "${labels[position]}": ${stat(tokenStats)}.`);
    const allLine = element('p', 'mw-readout', `All ${tokens} tokens: ${stat(allStats)}.`);
    const grid = element('div', 'mw-chart');
    const probabilities = element('div', 'mw-chart');
    const parts: HTMLElement[] = [heading, code, tokenLine, allLine, grid];
    if (step.chapter) {
      const link = element('a', undefined, `More in its chapter`);
      link.href = `${import.meta.env.BASE_URL}chapters/${step.chapter}/`;
      const more = element('p');
      more.append(link);
      parts.push(more);
    }
    let top: { label: string; probability: number }[] = [];
    if (tap === 'logits') {
      const p = softmax(row);
      const ids = topIds(p, TOP_TOKENS);
      top = ids.map((id) => ({ label: String(id), probability: p[id] }));
      parts.push(element('p', 'mw-readout', 'Softmax of these logits: the next-token probabilities.'), probabilities);
      void runtime.pieces(ids).then(({ pieces }) => {
        if (result !== current || ctx.signal.aborted) return;
        pieces.forEach((piece, i) => (top[i].label = pieceLabel(piece)));
        latest?.();
      });
    }
    detail.replaceChildren(...parts);
    latest = () => {
      const available = Math.max(200, detail.clientWidth || el.clientWidth);
      grid.replaceChildren(valueGrid(row, { width: available, label: `${tap} at token ${position}` }));
      if (top.length) probabilities.replaceChildren(probabilityBars(top, { width: available }));
    };
    latest();
  }

  async function run(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    try {
      const prepared = await promptIds(runtime, model, ctx.state.prompt);
      if (prepared.problem !== null) {
        el.dataset.state = 'invalid';
        ctx.status('error', prepared.problem);
        return;
      }
      const taps: TapName[] = ['embed', 'final_norm'];
      for (let l = 0; l < layers; l++) for (const step of FORWARD_STEPS) if (step.perLayer) taps.push(stepTap(step, l));
      const forward = await runtime.forward({ ids: [prepared.ids], taps });
      if (runId !== runs || ctx.signal.aborted) return;
      result = forward;
      labels = tokenLabels(forward);
      if (ctx.state.token >= labels.length) {
        notes.push(`The link asks for token ${ctx.state.token}, but the prompt has tokens 0 to ${labels.length - 1}; showing the last.`);
        ctx.setState({ token: -1 });
      }
      tokenSelect.replaceChildren(...labels.map((label, i) => new Option(`${i}: ${label}`, String(i))));
      tokenSelect.value = String(tokenIndex());
      el.dataset.state = 'done';
      show();
      reportRun(ctx, notes);
    } catch (error) {
      if (runId === runs) reportFailure(ctx, error);
    }
  }

  tokenSelect.addEventListener('change', () => {
    const index = Number(tokenSelect.value);
    ctx.setState({ token: index === labels.length - 1 ? -1 : index });
    show();
  }, { signal: ctx.signal });
  layer.select.addEventListener('change', () => {
    ctx.setState({ layer: Number(layer.select.value) });
    show();
  }, { signal: ctx.signal });
  onWidthChange(el, ctx.signal, () => latest?.());
  await run();
}

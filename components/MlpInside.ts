// Inside one layer's SwiGLU MLP of the live model: histograms of the gate pre-activations
// g = W_gate x and of the product act(g) · (W_up x), the share of negative products, and what
// swapping the activation (ReLU, GELU, swish β) in every layer does to the next-token
// distribution and to the loss on the prompt.
import activationWidgetsCss from './activationWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { histogramBars } from '../src/charts/histogramBars';
import { probabilityBars } from '../src/charts/probabilityBars';
import { histogram, negativeShare, SWAPPABLE_ACTIVATIONS, type SwappableActivation } from '../src/chapters/activations';
import { displayPiece, meanLoss, tokenLogProbs, topIds } from '../src/chapters/decoding';
import { softmax } from '../src/llama/sampling';
import { layerTap } from '../src/llama/taps';
import type { ForwardResult } from '../src/runtime/client';
import type { ForwardOptions } from '../src/runtime/messages';
import { choice, integer, number, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, formatNumber, hiddenTable, loadModel, numberSelect, onWidthChange, slider } from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(activationWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

export const schema = {
  prompt: text(600, 'Once upon a time, there was a little girl named'),
  /** Which layer's MLP the histograms show (0-based; checked against the model when it loads). */
  layer: integer(0, 63, 1),
  /** The activation put into every layer of the live model. */
  activation: choice(SWAPPABLE_ACTIVATIONS, 'silu'),
  /** β for the swish activation. */
  beta: number(0, 10, 1),
};

type State = StateOf<typeof schema>;

const ACTIVATION_NAMES: Record<SwappableActivation, string> = { silu: 'SiLU (as trained)', relu: 'ReLU', gelu: 'GELU', swish: 'swish β' };
const BINS = 40;
const TOP_TOKENS = 6;

/** The engine's `activation` option for a choice in the widget. */
export function activationOption(activation: SwappableActivation, beta: number): ForwardOptions['activation'] {
  return activation === 'swish' ? { name: 'swish', beta } : activation;
}

/** Histogram range: the 0.5% and 99.5% quantiles, so a few outliers do not squash the rest. */
function robustRange(values: Float32Array): [number, number] {
  const sorted = Float32Array.from(values).sort();
  const low = sorted[Math.floor(sorted.length * 0.005)];
  const high = sorted[Math.ceil(sorted.length * 0.995) - 1];
  const span = Math.max(Math.abs(low), Math.abs(high), 1e-6);
  return low < 0 ? [-span, span] : [0, span];
}

/** Next-token probabilities (last position) and the mean loss on the prompt, from one forward. */
function readOutcome(result: ForwardResult, ids: number[]) {
  const [, seq, vocab] = result.logits.shape;
  const last = result.logits.data.subarray((seq - 1) * vocab, seq * vocab);
  return { probabilities: softmax(Float32Array.from(last)), loss: meanLoss(tokenLogProbs(result.logits.data, vocab, ids)) };
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const layers = model.config.num_hidden_layers;
  // A note that outlives each run: the backend fallback, or a layer the model does not have.
  let standingNote = '';

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run());
  const controls = element('div', 'mw-controls');
  const layer = numberSelect('Layer', layers, Math.min(ctx.state.layer, layers - 1));
  const activationLabel = element('label', 'mw-select');
  const activation = element('select');
  for (const name of SWAPPABLE_ACTIVATIONS) activation.append(new Option(ACTIVATION_NAMES[name], name));
  activation.value = ctx.state.activation;
  activationLabel.append('Activation', activation);
  const beta = slider('β', { min: 0, max: 10, step: 0.25, value: ctx.state.beta });
  controls.append(layer.label, activationLabel, beta.label);

  const panels = element('div', 'aw-panels');
  const gatePanel = element('section', 'aw-panel');
  const productPanel = element('section', 'aw-panel');
  panels.append(gatePanel, productPanel);
  const outcome = element('p', 'mw-readout');
  outcome.setAttribute('aria-live', 'polite');
  const bars = element('div', 'mw-chart');
  const alternative = element('div');
  el.append(form, controls, panels, outcome, bars, alternative);

  if (ctx.state.layer >= layers) {
    standingNote = `The link asks for layer ${ctx.state.layer}, but the model has layers 0 to ${layers - 1}; showing layer ${layers - 1}.`;
  }

  let latest: (() => void) | null = null;
  let runs = 0;
  async function run(): Promise<void> {
    const runId = ++runs;
    const { prompt, activation: chosen, beta: betaValue } = ctx.state;
    const layerIndex = Math.min(ctx.state.layer, layers - 1);
    beta.label.hidden = chosen !== 'swish';
    beta.output.value = betaValue.toFixed(2);
    ctx.status('loading', 'Running the model…');
    const prepared = await promptIds(runtime, model, prompt);
    if (prepared.problem !== null) {
      ctx.status('error', prepared.problem);
      return;
    }
    const ids = prepared.ids;
    ctx.status('loading', 'Running the model…');
    try {
      const taps = [layerTap(layerIndex, 'mlp.gate'), layerTap(layerIndex, 'mlp.act'), layerTap(layerIndex, 'mlp.up')];
      const swapped = await runtime.forward({ ids: [ids], taps, activation: activationOption(chosen, betaValue) });
      const trained = chosen === 'silu' ? swapped : await runtime.forward({ ids: [ids] });
      if (runId !== runs || ctx.signal.aborted) return;
      const gate = swapped.taps[taps[0]].data;
      const act = swapped.taps[taps[1]].data;
      const up = swapped.taps[taps[2]].data;
      const product = act.map((value, i) => value * up[i]);
      const mine = readOutcome(swapped, ids);
      const base = readOutcome(trained, ids);
      const top = topIds(mine.probabilities, TOP_TOKENS);
      const labels = (await runtime.pieces(top)).pieces.map(displayPiece);
      const baseTop = topIds(base.probabilities, 1)[0];
      const baseLabel = displayPiece((await runtime.pieces([baseTop])).pieces[0]);
      const activationName = chosen === 'swish' ? `swish β=${betaValue.toFixed(2)}` : ACTIVATION_NAMES[chosen].replace(' (as trained)', '');
      const gateShare = negativeShare(gate);
      const productShare = negativeShare(product);

      latest = () => {
        const width = Math.max(220, productPanel.clientWidth || el.clientWidth);
        gatePanel.replaceChildren(
          element('h3', undefined, `Layer ${layerIndex}: gate pre-activations g (${formatPercent(gateShare)} negative)`),
          histogramBars(histogram(gate, BINS, ...robustRange(gate)), { width, label: 'gate pre-activations' }),
        );
        productPanel.replaceChildren(
          element('h3', undefined, `${activationName}(g) · up (${formatPercent(productShare)} negative)`),
          histogramBars(histogram(product, BINS, ...robustRange(product)), { width, label: `${activationName}(gate) times up values` }),
        );
        bars.replaceChildren(
          probabilityBars(
            top.map((id, i) => ({ label: labels[i], probability: mine.probabilities[id] })),
            { width: Math.max(260, bars.clientWidth) },
          ),
        );
      };
      latest();
      outcome.textContent =
        chosen === 'silu'
          ? `Loss on the prompt with SiLU, as trained: ${formatNumber(mine.loss, 3)} nats per token. Most likely next token: "${labels[0]}".`
          : `Loss on the prompt with ${activationName} in every layer: ${formatNumber(mine.loss, 3)} nats per token, against ${formatNumber(base.loss, 3)} with SiLU as trained. ` +
            `Most likely next token: "${labels[0]}" (with SiLU: "${baseLabel}").`;
      alternative.replaceChildren(
        hiddenTable(
          `Next-token probabilities with ${activationName}`,
          ['token', 'probability'],
          top.map((id, i) => [labels[i], formatPercent(mine.probabilities[id])]),
        ),
      );
      if (standingNote) ctx.status('note', standingNote);
      else ctx.status('ready');
    } catch (error) {
      ctx.status('error', error instanceof Error ? error.message : String(error));
    }
  }

  layer.select.addEventListener('change', () => {
    standingNote = '';
    ctx.setState({ layer: Number(layer.select.value) });
    void run();
  }, { signal: ctx.signal });
  activation.addEventListener('change', () => {
    ctx.setState({ activation: activation.value as SwappableActivation });
    void run();
  }, { signal: ctx.signal });
  beta.input.addEventListener('change', () => {
    ctx.setState({ beta: Number(beta.input.value) });
    void run();
  }, { signal: ctx.signal });
  beta.input.addEventListener('input', () => (beta.output.value = Number(beta.input.value).toFixed(2)), { signal: ctx.signal });
  onWidthChange(el, ctx.signal, () => latest?.());
  await run();
}

function formatPercent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

// The update inspector: the adapter the LoRA lab trains by default, trained once and shipped
// (public/data/lora-name-adapter/, npm run lora-name-adapter), loaded onto a copy of the model.
// For one layer and projection it shows the update ΔW = (alpha/r) B A: its singular values (at
// most r are not zero), its size against W, and for the last token of a prompt how the
// projection's output W x changes by ΔW x.
import loraWidgetsCss from './loraWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { formatCount } from '../src/chapters/anatomy';
import { lineChart } from '../src/charts/lineChart';
import type { ModelSummary, RuntimeClient } from '../src/runtime/client';
import type { OpResult } from '../src/runtime/messages';
import { pieceLabel } from '../src/widgets/pieces';
import { choice, integer, text, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, formatNumber, hiddenTable, loadModel, numberSelect, onWidthChange, promptForm, reportFailure } from './modelWidgetParts';
import { pageTokenizer, promptIds } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(loraWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

export const needsShippedModel = 'it loads an adapter trained for the shipped model';

export const ADAPTER_URL = `${import.meta.env?.BASE_URL ?? '/'}data/lora-name-adapter/`;

/** The projections of the shipped adapter whose input the engine can show (o_proj's is not a tap). */
const MODULES = ['q_proj', 'k_proj', 'v_proj'] as const;

export const schema = {
  layer: integer(0, 31, 0),
  module: choice(MODULES, 'q_proj'),
  prompt: text(200, 'Once upon a time, there was a little girl named'),
};

type State = StateOf<typeof schema>;

const SESSION = 'lora-inspect';

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const controls = element('div', 'lora-controls');
  el.append(controls);
  const summary = element('p', 'mw-readout lora-count');
  summary.setAttribute('aria-live', 'polite');
  const valuesChart = element('div', 'widget-chart');
  const outputLine = element('p', 'mw-readout');
  const outputChart = element('div', 'widget-chart');
  const legend = element('ul', 'lora-legend');
  for (const [className, name] of [['chart-line--b', 'W x, the frozen projection'], ['chart-line--a', 'ΔW x, what the adapter adds']]) {
    const item = element('li');
    item.append(element('span', `lora-swatch ${className}`), name);
    legend.append(item);
  }
  const tableSlot = element('div');

  let runtime: RuntimeClient;
  let model: ModelSummary;
  let layers: number;
  try {
    ({ runtime, model } = await loadModel(ctx));
    layers = model.config.num_hidden_layers;
    ctx.status('loading', 'Loading the trained adapter…');
    const [configText, weights] = await Promise.all([
      fetch(`${ADAPTER_URL}adapter_config.json`, { signal: ctx.signal }).then((response) => {
        if (!response.ok) throw new Error(`${ADAPTER_URL}adapter_config.json answered ${response.status}`);
        return response.text();
      }),
      fetch(`${ADAPTER_URL}adapter_model.safetensors`, { signal: ctx.signal }).then(async (response) => {
        if (!response.ok) throw new Error(`${ADAPTER_URL}adapter_model.safetensors answered ${response.status}`);
        return new Uint8Array(await response.arrayBuffer());
      }),
    ]);
    await runtime.call('dropSession', { name: SESSION }).catch(() => undefined);
    await runtime.call('fork', { name: SESSION }, { signal: ctx.signal });
    ctx.signal.addEventListener('abort', () => void runtime.call('dropSession', { name: SESSION }).catch(() => undefined));
    await runtime.call('loadAdapter', { session: SESSION, files: { 'adapter_config.json': configText, 'adapter_model.safetensors': weights }, trainable: false }, { signal: ctx.signal });
    await pageTokenizer(runtime);
  } catch (error) {
    reportFailure(ctx, error, 'The inspector could not start');
    return;
  }

  const notes: string[] = [];
  if (ctx.state.layer >= layers) {
    notes.push(`The link sets layer ${ctx.state.layer}, but the model has layers 0 to ${layers - 1}; showing layer 0.`);
    ctx.setState({ layer: 0 });
  }
  const layer = numberSelect('Layer', layers, ctx.state.layer);
  const moduleWrap = element('span', 'mw-select');
  const moduleSelect = element('select');
  moduleSelect.id = `${ctx.id}-module`;
  const moduleLabel = element('label', undefined, 'Projection');
  moduleLabel.htmlFor = moduleSelect.id;
  for (const module of MODULES) moduleSelect.append(new Option(module, module));
  moduleSelect.value = ctx.state.module;
  moduleWrap.append(moduleLabel, moduleSelect);
  controls.append(layer.label, moduleWrap);
  const { form, input } = promptForm(ctx, { maxLength: schema.prompt.maxLength }, (prompt) => {
    ctx.setState({ prompt });
    void inspect();
  });
  el.append(form, summary, valuesChart, outputLine, outputChart, legend, tableSlot);

  let latest: OpResult<'loraUpdate'> | null = null;
  const draw = () => {
    if (!latest) return;
    const width = Math.max(260, valuesChart.clientWidth);
    valuesChart.replaceChildren(
      lineChart([{ name: 'singular value of ΔW', values: latest.singularValues, className: 'chart-line--a' }], { width, height: 180, xStart: 1, xLabel: 'index i', yLabel: 'σᵢ' }),
    );
    outputChart.replaceChildren(
      lineChart(
        [
          { name: 'W x', values: latest.baseOutput, className: 'chart-line--b' },
          { name: 'ΔW x', values: latest.updateOutput, className: 'chart-line--a' },
        ],
        { width, height: 200, xLabel: `output dimension of ${latest.module}`, yLabel: 'value' },
      ),
    );
  };
  onWidthChange(valuesChart, ctx.signal, draw);

  let request = 0;
  async function inspect(): Promise<void> {
    const mine = ++request;
    const { ids, problem } = await promptIds(runtime, model, ctx.state.prompt);
    if (mine !== request) return;
    if (!ids) {
      el.dataset.state = 'error';
      ctx.status('error', problem);
      return;
    }
    ctx.status('loading', 'Reading the update…');
    el.dataset.state = 'loading';
    try {
      const result = await runtime.call('loraUpdate', { session: SESSION, input: { ids }, layer: ctx.state.layer, module: ctx.state.module }, { signal: ctx.signal });
      if (mine !== request) return;
      latest = result;
      const [out, inputs] = result.shape;
      const norm = (values: readonly number[]) => Math.hypot(...values);
      const pieces = await runtime.call('pieces', { ids: [ids[result.position]] }, { signal: ctx.signal });
      el.dataset.state = 'done';
      el.dataset.singularValues = result.singularValues.map((value) => value.toPrecision(6)).join(',');
      el.dataset.rank = String(result.rank);
      el.dataset.updateNorm = String(norm(result.updateOutput));
      summary.textContent =
        `Layer ${result.layer} ${result.module}: W is [${out}, ${inputs}] (${formatCount(out * inputs)} values); ΔW = (alpha/r) B A with r = ${result.r}, alpha/r = ${result.scale}. ` +
        `Its rank is ${result.rank}: ${result.r} singular values, the other ${Math.min(out, inputs) - result.r} are exactly 0. ‖ΔW‖ = ${formatNumber(result.updateNorm, 2)} against ‖W‖ = ${formatNumber(result.weightNorm, 2)} (${((100 * result.updateNorm) / result.weightNorm).toFixed(1)}%).`;
      outputLine.textContent = `At the last token, ${pieceLabel(pieces.pieces[0])}: ‖W x‖ = ${formatNumber(norm(result.baseOutput), 2)}, ‖ΔW x‖ = ${formatNumber(norm(result.updateOutput), 2)}. The update passes through only ${result.r} numbers, A x = [${result.down.map((value) => formatNumber(value, 2)).join(', ')}].`;
      tableSlot.replaceChildren(
        hiddenTable(
          `Singular values of ΔW, layer ${result.layer} ${result.module}`,
          ['i', 'σᵢ'],
          result.singularValues.map((value, i) => [i + 1, value.toPrecision(4)]),
        ),
      );
      draw();
      ctx.status(notes.length ? 'note' : 'ready', notes.join(' '));
      notes.length = 0;
    } catch (error) {
      if (mine === request && !ctx.signal.aborted) {
        el.dataset.state = 'error';
        reportFailure(ctx, error);
      }
    }
  }

  layer.select.addEventListener(
    'change',
    () => {
      ctx.setState({ layer: Number(layer.select.value) });
      void inspect();
    },
    { signal: ctx.signal },
  );
  moduleSelect.addEventListener(
    'change',
    () => {
      ctx.setState({ module: moduleSelect.value as State['module'] });
      void inspect();
    },
    { signal: ctx.signal },
  );
  input.value = ctx.state.prompt;
  await inspect();
}

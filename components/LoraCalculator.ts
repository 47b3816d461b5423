// The LoRA parameter and memory calculator: a model (ours, Llama 2 7B/13B/70B), a rank, the
// adapted projections, the dtype and the optimizer -> the values the adapter trains, per module
// and in all, and the memory training holds with full fine-tuning and with LoRA (weights,
// gradients, fp32 master copy, optimizer states; activations left out), and the file each saves.
import loraWidgetsCss from './loraWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { moduleCheckboxes } from './loraModules';
import { formatBytes, formatCount } from '../src/chapters/anatomy';
import {
  compareFineTuning,
  LORA_PRESET_IDS,
  loraPreset,
  maxRank,
  moduleListText,
  OPTIMIZER_STATES,
  parseModuleList,
  TRAINING_DTYPES,
  type LoraPresetId,
  type LoraTargetModule,
  type OptimizerName,
  type TrainingDtype,
} from '../src/chapters/lora';
import { probabilityBars } from '../src/charts/probabilityBars';
import { choice, integer, text, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { controlId, element, fillTable, onWidthChange, tableScroller } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(loraWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

const DTYPES = Object.keys(TRAINING_DTYPES) as TrainingDtype[];
const OPTIMIZERS = Object.keys(OPTIMIZER_STATES) as OptimizerName[];
const OPTIMIZER_NAMES: Record<OptimizerName, string> = { adamw: 'AdamW: 2 states', momentum: 'SGD with momentum: 1 state', sgd: 'plain SGD: no state' };
const DEFAULT_MODULES = 'q_proj,v_proj';

export const schema = {
  model: choice(LORA_PRESET_IDS, 'llama-2-7b'),
  r: integer(1, 1024, 8),
  modules: text(80, DEFAULT_MODULES),
  dtype: choice(['fp32', 'bf16', 'fp16'] as const, 'bf16'),
  optimizer: choice(['adamw', 'momentum', 'sgd'] as const, 'adamw'),
};

type State = StateOf<typeof schema>;

function labelledSelect(label: string, options: readonly (readonly [string, string])[], value: string): { wrap: HTMLElement; select: HTMLSelectElement } {
  const wrap = element('span', 'mw-select');
  const select = element('select');
  select.id = controlId('lora-select');
  const caption = element('label', undefined, label);
  caption.htmlFor = select.id;
  for (const [optionValue, optionLabel] of options) select.append(new Option(optionLabel, optionValue));
  select.value = value;
  wrap.append(caption, select);
  return { wrap, select };
}

export function mount(el: HTMLElement, ctx: WidgetContext<State>): void {
  const notes: string[] = [];
  let modules: LoraTargetModule[];
  const parsed = parseModuleList(ctx.state.modules);
  if (parsed.problem) {
    notes.push(`The link's modules: ${parsed.problem} Using ${DEFAULT_MODULES} instead.`);
    ctx.setState({ modules: DEFAULT_MODULES });
    modules = parseModuleList(DEFAULT_MODULES).modules;
  } else modules = parsed.modules;

  const controls = element('div', 'lora-controls');
  const model = labelledSelect('Model', LORA_PRESET_IDS.map((id) => [id, loraPreset(id).name] as const), ctx.state.model);
  const rankLabel = element('label', 'lora-steps', 'Rank r ');
  const rank = element('input');
  rank.type = 'number';
  rank.min = '1';
  rank.max = '1024';
  rank.value = String(ctx.state.r);
  rankLabel.append(rank);
  const dtype = labelledSelect('Weights in', DTYPES.map((d) => [d, d] as const), ctx.state.dtype);
  const optimizer = labelledSelect('Optimizer', OPTIMIZERS.map((o) => [o, OPTIMIZER_NAMES[o]] as const), ctx.state.optimizer);
  controls.append(model.wrap, rankLabel, dtype.wrap, optimizer.wrap);
  const { moduleBox, boxes } = moduleCheckboxes(modules);
  const summary = element('p', 'mw-readout lora-count');
  summary.setAttribute('aria-live', 'polite');
  const chart = element('div', 'mw-chart');
  const memory = element('table', 'mw-table');
  const perModule = element('table', 'mw-table');
  el.append(controls, moduleBox, summary, chart, tableScroller(memory, 'Training memory'), tableScroller(perModule, 'Values per module'));

  let latest: (() => void) | null = null;

  function update(): void {
    const preset = loraPreset(ctx.state.model as LoraPresetId);
    const config = preset.config;
    const largest = maxRank(config, modules);
    if (ctx.state.r > largest) {
      el.dataset.state = 'invalid';
      ctx.status('error', `Rank ${ctx.state.r} is more than ${largest}, the smallest side of an adapted weight of ${preset.name}: the update could not have that rank.`);
      return;
    }
    const c = compareFineTuning(config, ctx.state.r, modules, ctx.state.dtype, ctx.state.optimizer);
    el.dataset.state = 'done';
    el.dataset.trainable = String(c.count.trainable);
    el.dataset.loraBytes = String(c.lora.total);
    el.dataset.fullBytes = String(c.full.total);
    summary.textContent = `${preset.name}: LoRA trains ${formatCount(c.count.trainable)} of ${formatCount(c.count.base)} values (${(c.count.fraction * 100).toPrecision(3)}%, 1 in ${formatCount(c.parameterRatio)}). Training holds ${formatBytes(c.lora.total)} instead of ${formatBytes(c.full.total)}: ${c.memoryRatio.toFixed(1)}× less, before activations.`;
    latest = () =>
      chart.replaceChildren(
        probabilityBars(
          [
            { label: 'full', probability: 1 },
            { label: 'LoRA', probability: c.lora.total / c.full.total },
          ],
          { width: Math.max(260, chart.clientWidth) },
        ),
      );
    latest();
    const row = (what: string, full: number, lora: number) => [what, formatBytes(full), formatBytes(lora)];
    fillTable(
      memory,
      `Training memory in bytes (${ctx.state.dtype}; ${OPTIMIZER_NAMES[ctx.state.optimizer]}); activations left out`,
      ['held', 'full fine-tuning', 'LoRA'],
      [
        row(`weights (${ctx.state.dtype})`, c.full.weights, c.lora.weights),
        row('gradients', c.full.gradients, c.lora.gradients),
        row('fp32 master copy', c.full.masterWeights, c.lora.masterWeights),
        row('optimizer states (fp32)', c.full.optimizerStates, c.lora.optimizerStates),
        row('total', c.full.total, c.lora.total),
        row('saved per task', c.fullCheckpointBytes, c.adapterFileBytes),
      ],
      { rowHeaders: true },
    );
    fillTable(
      perModule,
      'Values per module and layer: A (r, in) and B (out, r) against W (out, in)',
      ['module', 'W [out, in]', 'W values', 'A + B values'],
      c.count.byModule.map((m) => [m.module, `[${m.out}, ${m.inputs}]`, formatCount(m.weightValues), formatCount(m.values)]),
      { rowHeaders: true },
    );
    ctx.status(notes.length ? 'note' : 'ready', notes.join(' '));
    notes.length = 0;
  }

  const changed = () => {
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value as LoraTargetModule);
    const r = Number(rank.value);
    if (chosen.length === 0) {
      el.dataset.state = 'invalid';
      ctx.status('error', 'Choose at least one projection to adapt.');
      return;
    }
    if (rank.value.trim() === '' || !Number.isInteger(r) || r < 1 || r > 1024) {
      el.dataset.state = 'invalid';
      ctx.status('error', 'The rank must be a whole number from 1 to 1024.');
      return;
    }
    modules = chosen;
    ctx.setState({
      model: model.select.value as LoraPresetId,
      r,
      modules: moduleListText(chosen),
      dtype: dtype.select.value as TrainingDtype,
      optimizer: optimizer.select.value as OptimizerName,
    });
    update();
  };
  for (const input of [model.select, rank, dtype.select, optimizer.select, ...boxes]) input.addEventListener('change', changed, { signal: ctx.signal });
  onWidthChange(el, ctx.signal, () => latest?.());
  update();
}

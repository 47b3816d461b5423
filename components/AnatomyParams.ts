// The parameter calculator: a Llama config (or a preset: ours, Llama 2 7B/13B/70B, a few other
// public Llama-family models) -> its parameter count, where the parameters sit, the bytes its
// weights take, what training holds per parameter, and the module tree print(model) shows.
import anatomyWidgetsCss from './anatomyWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { probabilityBars } from '../src/charts/probabilityBars';
import {
  BYTES_PER_VALUE,
  CONFIG_FIELD_NAMES,
  CONFIG_LIMITS,
  configProblem,
  countParameters,
  formatBytes,
  formatCount,
  moduleTree,
  PARAMETER_PRESETS,
  PRESET_IDS,
  trainingBytesPerParameter,
  weightBytes,
  type ParameterConfig,
  type WeightDtype,
} from '../src/chapters/anatomy';
import { choice, flag, integer } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { controlId, element, fillTable, onWidthChange, tableScroller } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(anatomyWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

type Field = keyof typeof CONFIG_LIMITS;
const FIELDS = Object.keys(CONFIG_LIMITS) as Field[];
const CUSTOM = 'custom';
const glassLlama = PARAMETER_PRESETS[0].config;

export const schema = {
  /** A preset's id, or 'custom': the fields below then say the config. */
  preset: choice([...PRESET_IDS, CUSTOM] as const, 'glass-llama'),
  hidden: integer(...CONFIG_LIMITS.hidden_size, glassLlama.hidden_size),
  layers: integer(...CONFIG_LIMITS.num_hidden_layers, glassLlama.num_hidden_layers),
  heads: integer(...CONFIG_LIMITS.num_attention_heads, glassLlama.num_attention_heads),
  kvHeads: integer(...CONFIG_LIMITS.num_key_value_heads, glassLlama.num_key_value_heads),
  mlp: integer(...CONFIG_LIMITS.intermediate_size, glassLlama.intermediate_size),
  vocab: integer(...CONFIG_LIMITS.vocab_size, glassLlama.vocab_size),
  tied: flag(false),
};

type State = StateOf<typeof schema>;

const STATE_OF_FIELD: Record<Field, 'hidden' | 'layers' | 'heads' | 'kvHeads' | 'mlp' | 'vocab'> = {
  hidden_size: 'hidden',
  num_hidden_layers: 'layers',
  num_attention_heads: 'heads',
  num_key_value_heads: 'kvHeads',
  intermediate_size: 'mlp',
  vocab_size: 'vocab',
};

/** The config the state describes: the preset's, or the fields' when custom. */
export function configOfState(state: State): ParameterConfig {
  const preset = PARAMETER_PRESETS.find((p) => p.id === state.preset);
  if (preset) return preset.config;
  return {
    hidden_size: state.hidden,
    num_hidden_layers: state.layers,
    num_attention_heads: state.heads,
    num_key_value_heads: state.kvHeads,
    intermediate_size: state.mlp,
    vocab_size: state.vocab,
    tie_word_embeddings: state.tied,
  };
}

const DTYPES: WeightDtype[] = ['fp32', 'fp16', 'bf16', 'int8'];

export function mount(el: HTMLElement, ctx: WidgetContext<State>): void {
  const controls = element('div', 'an-config');
  const presetWrap = element('span', 'mw-select an-config__preset');
  const preset = element('select');
  preset.id = controlId('an-preset');
  const presetLabel = element('label', undefined, 'Preset');
  presetLabel.htmlFor = preset.id;
  for (const p of PARAMETER_PRESETS) preset.append(new Option(p.name, p.id));
  preset.append(new Option('Custom', CUSTOM));
  presetWrap.append(presetLabel, preset);
  controls.append(presetWrap);

  const inputs = {} as Record<Field, HTMLInputElement>;
  for (const field of FIELDS) {
    const label = element('label', 'an-field');
    const input = element('input');
    input.type = 'number';
    input.inputMode = 'numeric';
    input.min = String(CONFIG_LIMITS[field][0]);
    input.max = String(CONFIG_LIMITS[field][1]);
    input.step = '1';
    input.dataset.field = field;
    label.append(CONFIG_FIELD_NAMES[field], input);
    controls.append(label);
    inputs[field] = input;
  }
  const tiedLabel = element('label', 'an-field an-field--check');
  const tied = element('input');
  tied.type = 'checkbox';
  tiedLabel.append(tied, 'Output tied to the embedding');
  controls.append(tiedLabel);

  const total = element('p', 'an-total');
  total.setAttribute('aria-live', 'polite');
  const chart = element('div', 'mw-chart');
  const breakdown = element('table', 'mw-table an-table');
  const memory = element('table', 'mw-table an-table');
  const treeDetails = element('details', 'an-tree');
  const treeSummary = element('summary', undefined, 'print(model)');
  const tree = element('pre');
  tree.tabIndex = 0;
  treeDetails.append(treeSummary, tree);
  el.append(controls, total, chart, tableScroller(breakdown, 'Where the parameters sit'), tableScroller(memory, 'Memory'), treeDetails);

  let latest: (() => void) | null = null;

  function showState(): void {
    const config = configOfState(ctx.state);
    preset.value = ctx.state.preset;
    for (const field of FIELDS) inputs[field].value = String(config[field]);
    tied.checked = config.tie_word_embeddings;
  }

  function draw(config: ParameterConfig): void {
    const counts = countParameters(config);
    el.dataset.total = String(counts.total);
    const name = PARAMETER_PRESETS.find((p) => p.id === ctx.state.preset)?.name ?? 'This config';
    total.textContent = `${name}: ${formatCount(counts.total)} parameters.`;
    const parts = [
      { label: 'Embedding', value: counts.embedding, formula: 'V·h' },
      { label: 'Attention', value: counts.attention, formula: 'L·(2·h·H·d + 2·h·KV·d)' },
      { label: 'MLP', value: counts.mlp, formula: 'L·3·h·F' },
      { label: 'Norms', value: counts.norms, formula: '(2L + 1)·h' },
      { label: 'Output', value: counts.output, formula: config.tie_word_embeddings ? 'tied: 0' : 'V·h' },
    ];
    latest = () =>
      chart.replaceChildren(
        probabilityBars(parts.map((part) => ({ label: part.label, probability: part.value / counts.total })), { width: Math.max(260, chart.clientWidth) }),
      );
    latest();
    fillTable(
      breakdown,
      'Where the parameters sit',
      ['part', 'formula', 'parameters', 'share'],
      [...parts.map((part) => [part.label, part.formula, formatCount(part.value), `${((part.value / counts.total) * 100).toFixed(1)}%`]), ['Total', '', formatCount(counts.total), '100%']],
      { rowHeaders: true },
    );
    fillTable(
      memory,
      'Memory',
      ['what', 'bytes per parameter', 'total'],
      [
        ...DTYPES.map((dtype) => [`weights in ${dtype}`, String(BYTES_PER_VALUE[dtype]), formatBytes(weightBytes(counts.total, dtype))]),
        ['training, mixed precision + AdamW', String(trainingBytesPerParameter()), formatBytes(counts.total * trainingBytesPerParameter())],
      ],
      { rowHeaders: true },
    );
    tree.textContent = moduleTree({ ...config, rms_norm_eps: 1e-5 });
  }

  function update(): void {
    const config = configOfState(ctx.state);
    const problem = configProblem(config);
    if (problem) {
      el.dataset.state = 'invalid';
      ctx.status('note', problem);
      return;
    }
    el.dataset.state = 'done';
    draw(config);
    ctx.status('ready');
  }

  preset.addEventListener(
    'change',
    () => {
      const chosen = PARAMETER_PRESETS.find((p) => p.id === preset.value);
      if (chosen) {
        const c = chosen.config;
        ctx.setState({ preset: chosen.id, hidden: c.hidden_size, layers: c.num_hidden_layers, heads: c.num_attention_heads, kvHeads: c.num_key_value_heads, mlp: c.intermediate_size, vocab: c.vocab_size, tied: c.tie_word_embeddings });
      } else ctx.setState({ preset: CUSTOM });
      showState();
      update();
    },
    { signal: ctx.signal },
  );
  const fromFields = () => {
    const patch: Partial<State> = { preset: CUSTOM, tied: tied.checked };
    let problem: string | null = null;
    for (const field of FIELDS) {
      const text = inputs[field].value.trim();
      const value = text === '' ? Number.NaN : Number(text);
      const [min, max] = CONFIG_LIMITS[field];
      if (!Number.isInteger(value) || value < min || value > max) {
        problem ??= configProblem({ ...configOfState(ctx.state), [field]: value });
        continue;
      }
      patch[STATE_OF_FIELD[field]] = value;
    }
    ctx.setState(patch);
    preset.value = CUSTOM;
    if (problem) {
      el.dataset.state = 'invalid';
      ctx.status('note', problem);
    } else update();
  };
  for (const field of FIELDS) inputs[field].addEventListener('change', fromFields, { signal: ctx.signal });
  tied.addEventListener('change', fromFields, { signal: ctx.signal });
  onWidthChange(el, ctx.signal, () => latest?.());
  showState();
  update();
}

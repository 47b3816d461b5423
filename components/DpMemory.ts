// How much memory does each device need to train Llama 2 with K devices? Weights, gradients,
// optimizer states (mixed-precision AdamW: 2 + 2 + 12 bytes per parameter, ZeRO section 3.1) and
// activations (Korthikanti et al. 2022) per device, for plain data parallelism, ZeRO 1-3 / FSDP,
// tensor parallelism and pipeline parallelism side by side, against an 80 GB device. Pure
// arithmetic from src/chapters/dataParallel.ts: no model needed.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import dpWidgetsCss from './dpWidgets.css?url';
import { formatBytes, PARAMETER_PRESETS } from '../src/chapters/anatomy';
import { ACTIVATIONS_PAPER, DEVICE_MEMORY_BYTES, memoryPerDevice, STRATEGIES, STRATEGY_NAMES, STRATEGY_NOTES, STRATEGY_SHORT_NAMES, ZERO_PAPER, type MemoryBreakdown, type Strategy } from '../src/chapters/dataParallel';
import { stackedBars } from '../src/charts/stackedBars';
import { choice, flag, integer, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { controlId, element, fillTable, onWidthChange, tableScroller } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(dpWidgetsCss);

export const MEMORY_MODELS = ['llama-2-7b', 'llama-2-13b', 'llama-2-70b'] as const;

export const schema = {
  model: choice(MEMORY_MODELS, 'llama-2-7b'),
  /** K: ranks for DP and ZeRO, the degree for TP, the stages for PP */
  devices: integer(1, 1024, 8),
  microBatch: integer(1, 64, 1),
  sequence: integer(1, 32768, 4096),
  recompute: flag(false),
};

type State = StateOf<typeof schema>;

const PARTS = ['weights', 'gradients', 'optimizer', 'activations'] as const;
const PART_NAMES = ['weights (bf16)', 'gradients (bf16)', 'optimizer (fp32 copy, m, v)', 'activations'];
const PART_CLASSES = PARTS.map((part) => `dp-bar-${part}`);

interface NumberField {
  name: 'devices' | 'microBatch' | 'sequence';
  label: string;
}
const FIELDS: readonly NumberField[] = [
  { name: 'devices', label: 'Devices K' },
  { name: 'microBatch', label: 'Micro-batch b (sequences)' },
  { name: 'sequence', label: 'Sequence s (tokens)' },
];

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const grid = element('div', 'dp-grid');
  const modelLabel = element('label');
  const model = element('select');
  model.id = controlId('dp-model');
  for (const id of MEMORY_MODELS) model.append(new Option(PARAMETER_PRESETS.find((p) => p.id === id)!.name, id));
  model.value = ctx.state.model;
  modelLabel.append('Model', model);
  grid.append(modelLabel);
  const inputs = new Map<NumberField['name'], HTMLInputElement>();
  for (const field of FIELDS) {
    const label = element('label');
    const input = element('input');
    input.type = 'number';
    input.min = String(schema[field.name].min);
    input.max = String(schema[field.name].max);
    input.step = '1';
    input.value = String(ctx.state[field.name]);
    label.append(field.label, input);
    grid.append(label);
    inputs.set(field.name, input);
  }
  const recomputeLabel = element('label', 'dp-check');
  const recompute = element('input');
  recompute.type = 'checkbox';
  recompute.checked = ctx.state.recompute;
  recomputeLabel.append(recompute, 'Recompute activations (keep only each layer\'s input)');
  const summary = element('p', 'mw-readout');
  const chart = element('div', 'mw-chart dp-bars');
  const legend = element('ul', 'dp-legend');
  legend.append(
    ...PART_NAMES.map((name, i) => {
      const item = element('li');
      item.append(element('span', `dp-swatch dp-swatch--solid ${PART_CLASSES[i]}`), name);
      return item;
    }),
  );
  const table = element('table', 'mw-table');
  const source = element('p', 'dp-source');
  source.textContent = `Model states: ${ZERO_PAPER.authors} (${ZERO_PAPER.year}), "${ZERO_PAPER.title}". Activations: ${ACTIVATIONS_PAPER.authors} (${ACTIVATIONS_PAPER.year}), "${ACTIVATIONS_PAPER.title}", section 4, counted for a GPT layer (Llama's SwiGLU MLP keeps somewhat more); bf16 weights; no logits, buffers or fragmentation.`;
  el.append(grid, recomputeLabel, summary, chart, legend, tableScroller(table, 'Memory per device by strategy (scrolls sideways)'), source);

  let results: { strategy: Strategy; memory: MemoryBreakdown | null; problem?: string }[] = [];

  const compute = () => {
    const config = PARAMETER_PRESETS.find((p) => p.id === ctx.state.model)!.config;
    results = STRATEGIES.map((strategy) => {
      try {
        return { strategy, memory: memoryPerDevice({ config, strategy, devices: ctx.state.devices, microBatch: ctx.state.microBatch, sequence: ctx.state.sequence, recompute: ctx.state.recompute }) };
      } catch (error) {
        return { strategy, memory: null, problem: (error as Error).message };
      }
    });
    const fits = results.filter((r) => r.memory && r.memory.total <= DEVICE_MEMORY_BYTES).map((r) => STRATEGY_SHORT_NAMES[r.strategy]);
    summary.textContent = `${PARAMETER_PRESETS.find((p) => p.id === ctx.state.model)!.name} on K = ${ctx.state.devices}, micro-batch ${ctx.state.microBatch} × ${ctx.state.sequence} tokens: ${fits.length ? `fits in ${formatBytes(DEVICE_MEMORY_BYTES)} with ${fits.join(', ')}` : `no strategy alone fits in ${formatBytes(DEVICE_MEMORY_BYTES)}`}.`;
    fillTable(
      table,
      'Bytes per device (decimal GB), by strategy',
      ['strategy', ...PART_NAMES, 'total', 'splits', 'sends', 'engines'],
      results.map(({ strategy, memory, problem }) => [
        STRATEGY_NAMES[strategy],
        ...(memory ? [...PARTS.map((part) => formatBytes(memory[part])), `${formatBytes(memory.total)}${memory.total > DEVICE_MEMORY_BYTES ? ' (over 80 GB)' : ''}`] : [problem ?? '', '', '', '', '']),
        STRATEGY_NOTES[strategy].splits,
        STRATEGY_NOTES[strategy].sends,
        STRATEGY_NOTES[strategy].engines,
      ]),
      { rowHeaders: true },
    );
    draw();
  };

  const draw = () => {
    const rows = results.filter((r) => r.memory).map((r) => ({ label: STRATEGY_SHORT_NAMES[r.strategy], parts: PARTS.map((part) => r.memory![part]) }));
    chart.replaceChildren(
      stackedBars(rows, {
        width: Math.max(260, chart.clientWidth),
        partClasses: PART_CLASSES,
        xLabel: 'bytes per device',
        format: formatBytes,
        limit: { value: DEVICE_MEMORY_BYTES, label: '80 GB' },
        label: `Memory per device by strategy: ${rows.map((row) => `${row.label} ${formatBytes(row.parts.reduce((a, b) => a + b, 0))}`).join(', ')}`,
      }),
    );
  };
  onWidthChange(chart, ctx.signal, draw);

  for (const field of FIELDS) {
    const input = inputs.get(field.name)!;
    input.addEventListener(
      'change',
      () => {
        const setting = schema[field.name];
        const raw = input.value.trim();
        const value = Number(raw);
        if (raw === '' || !Number.isInteger(value) || value < setting.min || value > setting.max) {
          ctx.status('error', `${field.label} must be a whole number from ${setting.min} to ${setting.max.toLocaleString('en-US')}; keeping ${ctx.state[field.name]}.`);
          return;
        }
        ctx.setState({ [field.name]: value } as Partial<State>);
        ctx.status('ready');
        compute();
      },
      { signal: ctx.signal },
    );
  }
  model.addEventListener(
    'change',
    () => {
      ctx.setState({ model: model.value as State['model'] });
      compute();
    },
    { signal: ctx.signal },
  );
  recompute.addEventListener(
    'change',
    () => {
      ctx.setState({ recompute: recompute.checked });
      compute();
    },
    { signal: ctx.signal },
  );
  compute();
}

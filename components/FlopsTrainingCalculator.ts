// How long would it take? Training FLOPs 6 N T of a dense model with N parameters on T tokens,
// and the time on K devices of a given peak at a given model FLOPs utilisation (MFU). Presets load
// published runs (Llama 2 7B and 70B, GPT-3, PaLM) with their papers' figures, and say what those
// figures imply. Pure arithmetic from src/chapters/flops.ts: no model needed.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { TRAINING_RUNS, formatDuration, impliedMfu, trainingFlops, trainingSeconds, type TrainingRun } from '../src/chapters/flops';
import { choice, integer, number, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import flopsWidgetsCss from './flopsWidgets.css?url';
import { controlId, element } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(flopsWidgetsCss);

const PRESETS = ['custom', ...TRAINING_RUNS.map((run) => run.id)] as ['custom', ...string[]];
const llama = TRAINING_RUNS[0];

export const schema = {
  preset: choice(PRESETS, llama.id),
  /** N, in billions of parameters */
  parameters: number(0.001, 10000, Number((llama.parameters / 1e9).toFixed(3))),
  /** T, in billions of tokens */
  tokens: number(0.001, 100000, llama.tokens / 1e9),
  devices: integer(1, 1000000, 1024),
  /** dense peak of one device, TFLOP/s */
  peak: number(0.001, 100000, llama.peak / 1e12),
  /** model FLOPs utilisation, percent */
  mfu: number(1, 100, 40),
};

type State = StateOf<typeof schema>;

/** The fields a preset sets (parameters and tokens in billions, peak in TFLOP/s, MFU in percent). */
export function presetState(run: TrainingRun): Partial<State> {
  return {
    preset: run.id,
    parameters: Number((run.parameters / 1e9).toFixed(3)),
    tokens: run.tokens / 1e9,
    peak: run.peak / 1e12,
    ...(run.devices ? { devices: run.devices } : {}),
    ...(run.reportedMfu ? { mfu: Number((run.reportedMfu * 100).toFixed(1)) } : {}),
  };
}

interface Field {
  name: 'parameters' | 'tokens' | 'devices' | 'peak' | 'mfu';
  label: string;
  step: string;
}

const FIELDS: readonly Field[] = [
  { name: 'parameters', label: 'Parameters N (billions)', step: 'any' },
  { name: 'tokens', label: 'Training tokens T (billions)', step: 'any' },
  { name: 'devices', label: 'Devices K', step: '1' },
  { name: 'peak', label: 'Peak per device (TFLOP/s)', step: 'any' },
  { name: 'mfu', label: 'MFU (%)', step: 'any' },
];

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  // A link that names a preset gets the preset's numbers, except the ones it sets itself.
  const linked = TRAINING_RUNS.find((r) => r.id === ctx.state.preset);
  if (linked) {
    const patch = Object.fromEntries(Object.entries(presetState(linked)).filter(([name]) => name !== 'preset' && ctx.state[name as keyof State] === schema[name as keyof State].default));
    if (Object.keys(patch).length) ctx.setState(patch as Partial<State>);
  }
  const grid = element('div', 'fw-grid');
  const presetLabel = element('label');
  const preset = element('select');
  preset.id = controlId('fw-preset');
  preset.append(new Option('Your own numbers', 'custom'), ...TRAINING_RUNS.map((run) => new Option(run.name, run.id)));
  preset.value = ctx.state.preset;
  presetLabel.htmlFor = preset.id;
  presetLabel.append('Preset', preset);
  grid.append(presetLabel);
  const inputs = new Map<Field['name'], HTMLInputElement>();
  for (const field of FIELDS) {
    const label = element('label');
    const input = element('input');
    input.type = 'number';
    input.inputMode = 'decimal';
    input.min = String(schema[field.name].min);
    input.max = String(schema[field.name].max);
    input.step = field.step;
    input.value = String(ctx.state[field.name]);
    label.append(field.label, input);
    grid.append(label);
    inputs.set(field.name, input);
  }
  const result = element('div', 'fw-result');
  result.setAttribute('aria-live', 'polite');
  el.append(grid, result);

  const draw = () => {
    const { parameters, tokens, devices, peak, mfu } = ctx.state;
    const flops = trainingFlops(parameters * 1e9, tokens * 1e9);
    const seconds = trainingSeconds({ flops, devices, peak: peak * 1e12, mfu: mfu / 100 });
    const deviceHours = (seconds * devices) / 3600;
    const lines = [
      `6 N T = 6 × ${(parameters * 1e9).toExponential(3)} × ${(tokens * 1e9).toExponential(3)} = ${flops.toExponential(3)} FLOPs`,
      `At ${mfu}% of ${peak} TFLOP/s: ${Number(deviceHours.toPrecision(3)).toLocaleString('en-US')} device-hours, ${formatDuration(seconds)} on ${devices.toLocaleString('en-US')} devices.`,
    ];
    const run = TRAINING_RUNS.find((r) => r.id === ctx.state.preset);
    const sources: string[] = [];
    if (run) {
      if (run.deviceHours) {
        const implied = impliedMfu({ flops: trainingFlops(run.parameters, run.tokens), deviceHours: run.deviceHours, peak: run.peak });
        lines.push(`The paper reports ${run.deviceHours.toLocaleString('en-US')} ${run.device} GPU-hours: at ${run.peak / 1e12} TFLOP/s that is an MFU of ${(100 * implied).toFixed(1)}%.`);
      }
      if (run.reportedFlops) {
        lines.push(`The paper reports ${run.reportedFlops.toExponential(2)} FLOPs; 6 N T gives ${trainingFlops(run.parameters, run.tokens).toExponential(2)}.`);
      }
      if (run.reportedMfu) lines.push(`The paper reports an MFU of ${(100 * run.reportedMfu).toFixed(1)}% on ${run.devices?.toLocaleString('en-US')} ${run.device} chips.`);
      sources.push(`${run.citation.authors} (${run.citation.year}), "${run.citation.title}", ${run.citation.where}.`, `Peak: ${run.peakSource}.`);
    }
    result.replaceChildren(...lines.map((line) => element('p', undefined, line)), ...sources.map((line) => element('p', 'fw-source', line)));
  };

  for (const field of FIELDS) {
    const input = inputs.get(field.name)!;
    input.addEventListener(
      'change',
      () => {
        const setting = schema[field.name];
        const raw = input.value.trim();
        const value = Number(raw);
        const problem =
          raw === ''
            ? `${field.label} is empty or not a number`
            : !Number.isFinite(value) || value < setting.min || value > setting.max
              ? `${field.label} must be from ${setting.min} to ${setting.max.toLocaleString('en-US')}`
              : setting.kind === 'integer' && !Number.isInteger(value)
                ? `${field.label} must be a whole number`
                : null;
        if (problem) {
          ctx.status('error', `${problem}; keeping ${ctx.state[field.name]}.`);
          return;
        }
        ctx.setState({ [field.name]: value, preset: 'custom' } as Partial<State>);
        preset.value = 'custom';
        ctx.status('ready');
        draw();
      },
      { signal: ctx.signal },
    );
  }
  preset.addEventListener(
    'change',
    () => {
      const run = TRAINING_RUNS.find((r) => r.id === preset.value);
      ctx.setState(run ? presetState(run) : { preset: 'custom' });
      for (const field of FIELDS) inputs.get(field.name)!.value = String(ctx.state[field.name]);
      ctx.status('ready');
      draw();
    },
    { signal: ctx.signal },
  );
  draw();
}

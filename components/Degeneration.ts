// Degeneration: one long continuation of the same prompt by greedy decoding, by sampling at a low
// temperature and by nucleus (top-p) sampling, with distinct-n (distinct n-grams / all n-grams)
// plotted as each text grows. Greedy text falls into loops; distinct-n falls with it.
import decodingWidgetsCss from './decodingWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { lineCurves } from '../src/charts/lineCurves';
import { distinctN, distinctNCurve } from '../src/chapters/decoding';
import type { GenerationStream } from '../src/runtime/client';
import type { GenerateOptions } from '../src/runtime/messages';
import { integer, number, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, formatNumber, hiddenTable, loadModel, onWidthChange, slider } from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(decodingWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

export const schema = {
  prompt: text(600, 'Once upon a time, there was a little dog. The dog'),
  /** New tokens per strategy. */
  length: integer(20, 200, 120),
  lowTemperature: number(0.05, 1, 0.3),
  topP: number(0.05, 1, 0.9),
  /** n in distinct-n. */
  n: integer(1, 4, 2),
  seed: integer(0, 99999, 1),
};

type State = StateOf<typeof schema>;

/** The three strategies compared, as runtime generate options. */
export function strategies(state: State): { name: string; className: string; options: Omit<GenerateOptions, 'maxNewTokens'> }[] {
  return [
    { name: 'greedy', className: 'chart-line--1', options: { temperature: 0 } },
    { name: `temperature ${state.lowTemperature.toFixed(2)}`, className: 'chart-line--2', options: { temperature: state.lowTemperature, seed: state.seed } },
    { name: `top-p ${state.topP.toFixed(2)}`, className: 'chart-line--3', options: { temperature: 1, topP: state.topP, seed: state.seed } },
  ];
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run());
  const grid = element('div', 'dw-grid');
  const length = slider('New tokens', { min: 20, max: 200, step: 10, value: ctx.state.length });
  const low = slider('Low temperature', { min: 0.05, max: 1, step: 0.05, value: ctx.state.lowTemperature });
  const topP = slider('Top-p', { min: 0.05, max: 1, step: 0.05, value: ctx.state.topP });
  const n = slider('n (distinct-n)', { min: 1, max: 4, step: 1, value: ctx.state.n });
  const seedLabel = element('label');
  const seed = element('input');
  seed.type = 'number';
  seed.min = '0';
  seed.max = String(schema.seed.max);
  seed.step = '1';
  seed.value = String(ctx.state.seed);
  seedLabel.append('Seed', seed);
  grid.append(length.label, low.label, topP.label, n.label, seedLabel);
  const chart = element('div', 'mw-chart');
  const legend = element('ul', 'dw-legend');
  const texts = element('div');
  const alternative = element('div');
  el.append(form, grid, chart, texts, alternative);

  let results: { name: string; className: string; ids: number[]; text: string }[] = [];
  const draw = () => {
    if (results.length === 0) return;
    const { n: order } = ctx.state;
    chart.replaceChildren(
      lineCurves(
        results.map((result) => ({
          name: result.name,
          className: result.className,
          points: distinctNCurve(result.ids, order).map((point) => ({ x: point.length, y: point.value })),
        })),
        { width: Math.max(280, chart.clientWidth), xLabel: 'generated tokens', yLabel: `distinct-${order}` },
      ),
      legend,
    );
    legend.replaceChildren(
      ...results.map((result) => {
        const item = element('li', result.className.replace('chart-line', 'dw-key'));
        item.append(element('span', undefined, `${result.name}: distinct-${order} ${formatNumber(distinctN(result.ids, order), 2)}`));
        return item;
      }),
    );
    texts.replaceChildren(
      ...results.flatMap((result) => [element('p', 'mw-readout', `${result.name}:`), element('p', 'dw-text', result.text)]),
    );
    alternative.replaceChildren(
      hiddenTable(
        `distinct-${order} of each continuation`,
        ['strategy', `distinct-${order}`, 'tokens'],
        results.map((result) => [result.name, formatNumber(distinctN(result.ids, order), 3), result.ids.length]),
      ),
    );
  };

  let runs = 0;
  let generation: GenerationStream | null = null;
  async function run(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    const prepared = await promptIds(runtime, model, ctx.state.prompt, ctx.state.length);
    if (prepared.problem !== null) {
      ctx.status('error', prepared.problem);
      return;
    }
    ctx.status('loading', `Generating ${ctx.state.length} tokens three ways…`);
    try {
      const done = [];
      for (const strategy of strategies(ctx.state)) {
        generation = runtime.generate({ ids: prepared.ids, maxNewTokens: ctx.state.length, ignoreEos: true, ...strategy.options });
        const result = await generation.result;
        if (runId !== runs || ctx.signal.aborted) return;
        done.push({ name: strategy.name, className: strategy.className, ids: result.newIds, text: result.text });
      }
      results = done;
      draw();
      ctx.status('ready');
    } catch (error) {
      ctx.status('error', error instanceof Error ? error.message : String(error));
    }
  }

  const bind = (control: ReturnType<typeof slider>, name: keyof State, digits: number, regenerate: boolean) => {
    control.output.value = Number(ctx.state[name]).toFixed(digits);
    control.input.addEventListener('input', () => (control.output.value = Number(control.input.value).toFixed(digits)), { signal: ctx.signal });
    control.input.addEventListener('change', () => {
      ctx.setState({ [name]: Number(control.input.value) });
      if (regenerate) void run();
      else draw();
    }, { signal: ctx.signal });
  };
  bind(length, 'length', 0, true);
  bind(low, 'lowTemperature', 2, true);
  bind(topP, 'topP', 2, true);
  bind(n, 'n', 0, false);
  seed.addEventListener('change', () => {
    const value = Number(seed.value);
    if (seed.value === '' || !Number.isInteger(value) || value < 0 || value > schema.seed.max) {
      ctx.status('error', `The seed must be a whole number from 0 to ${schema.seed.max}; keeping ${ctx.state.seed}.`);
      return;
    }
    ctx.setState({ seed: value });
    void run();
  }, { signal: ctx.signal });
  ctx.signal.addEventListener('abort', () => generation?.cancel());
  onWidthChange(chart, ctx.signal, draw);
  await run();
}

// Best-of-n against a toy reward model, live: the model writes N continuations of the prompt
// (seeds 1..N), a rule scores each (+1 per mention of the prompt's hero, −1 per other name brought
// in), and best-of-n keeps the highest. Shown: the samples and their rewards, the one chosen from
// the first n, and, for n = 1..64 drawn from these samples, the expected reward of the choice and
// its KL divergence from the base samples (with the often-quoted ln n − (n − 1)/n).
import decodingWidgetsCss from './decodingWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import ragWidgetsCss from './ragWidgets.css?url';
import { bestOfN, bestOfNKl, bestOfNKlLimit, bestOfNRewardDistribution, DISTRIBUTION_NS, expectedBestReward, heroOf, heroReward } from '../src/chapters/assistant';
import { lineCurves } from '../src/charts/lineCurves';
import { integer, number, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, onWidthChange, reportFailure, reportRun, slider, tableScroller } from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(decodingWidgetsCss);
loadStylesheet(modelWidgetPartsCss);
loadStylesheet(ragWidgetsCss);

export const needsShippedModel = 'its reward reads the names of our stories';

export const schema = {
  prompt: text(200, 'Once upon a time, there was a girl named Lily. One day,'),
  samples: integer(4, 16, 12),
  temperature: number(0.5, 1.5, 1),
  n: integer(1, 64, 4),
};

type State = StateOf<typeof schema>;

/** New tokens per continuation. */
const NEW_TOKENS = 40;
/** The largest n drawn on the curves. */
const MAX_N = 64;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run());
  const grid = element('div', 'dw-grid');
  const samples = slider('Samples N', { min: 4, max: 16, step: 1, value: ctx.state.samples });
  const temperature = slider('Temperature', { min: 0.5, max: 1.5, step: 0.1, value: ctx.state.temperature });
  const n = slider('n', { min: 1, max: MAX_N, step: 1, value: ctx.state.n });
  grid.append(samples.label, temperature.label, n.label);
  const readout = element('p', 'mw-readout');
  readout.setAttribute('aria-live', 'polite');
  const rewardChart = element('div', 'mw-chart');
  const klChart = element('div', 'mw-chart');
  const legend = element('ul', 'dw-legend');
  legend.append(element('li', 'dw-key--1', 'KL of best-of-n from the samples'), element('li', 'dw-key--3', 'ln n − (n − 1)/n'));
  const table = element('table', 'mw-table');
  const distributionTable = element('table', 'mw-table');
  el.append(
    form,
    grid,
    readout,
    rewardChart,
    klChart,
    legend,
    tableScroller(distributionTable, 'The reward of the chosen sample, for several n'),
    tableScroller(table, 'The samples and their rewards'),
  );

  let current: { hero: string; texts: string[]; rewards: number[] } | null = null;

  function draw(): void {
    samples.output.value = String(ctx.state.samples);
    temperature.output.value = ctx.state.temperature.toFixed(1);
    n.output.value = String(ctx.state.n);
    if (!current) return;
    const { hero, texts, rewards } = current;
    const chosen = ctx.state.n <= rewards.length ? bestOfN(rewards, ctx.state.n) : bestOfN(rewards, rewards.length);
    const ns = Array.from({ length: MAX_N }, (_, i) => i + 1);
    const expected = ns.map((k) => expectedBestReward(rewards, k));
    const kl = ns.map((k) => bestOfNKl(rewards, k));
    const width = Math.max(260, el.clientWidth);
    const lo = Math.min(...rewards);
    const hi = Math.max(...rewards);
    rewardChart.replaceChildren(
      lineCurves(
        [{ name: 'expected reward of the best of n', className: 'chart-line--1', points: ns.map((k, i) => ({ x: k, y: expected[i] })) }],
        { width, height: 180, yDomain: [Math.min(0, lo), Math.max(1, hi)], xLabel: 'n', yLabel: 'reward' },
      ),
    );
    klChart.replaceChildren(
      lineCurves(
        [
          { name: 'KL from the base samples', className: 'chart-line--1', points: ns.map((k, i) => ({ x: k, y: kl[i] })) },
          { name: 'ln n − (n − 1)/n', className: 'chart-line--3', points: ns.map((k) => ({ x: k, y: bestOfNKlLimit(k) })) },
        ],
        { width, height: 180, yDomain: [0, Math.max(bestOfNKlLimit(MAX_N), ...kl) * 1.05], xLabel: 'n', yLabel: 'KL (nats)' },
      ),
    );
    const k = ctx.state.n - 1;
    readout.textContent =
      `Hero: ${hero}. Mean reward of a sample: ${formatNumber(expected[0], 2)}. Best of ${ctx.state.n}: expected reward ${formatNumber(expected[k], 2)}, ` +
      `KL ${formatNumber(kl[k], 3)} nats from the base samples, ${kl[k] <= bestOfNKlLimit(ctx.state.n) + 1e-12 ? 'under' : 'over'} the formula ln n − (n − 1)/n = ${formatNumber(bestOfNKlLimit(ctx.state.n), 3)} ` +
      `(and at most ln ${rewards.length} = ${formatNumber(Math.log(rewards.length), 3)}: best-of-n can only reweight the ${rewards.length} samples).`;
    fillTable(
      table,
      `${rewards.length} continuations (temperature ${ctx.state.temperature.toFixed(1)}, seeds 1 to ${rewards.length}); the best of the first ${Math.min(ctx.state.n, rewards.length)} is marked`,
      ['seed', 'reward', 'continuation', 'chosen'],
      texts.map((textOf, i) => [i + 1, rewards[i], textOf.trim(), i === chosen ? 'best' : '']),
      { rowHeaders: true },
    );
    const shownNs = [...new Set([...DISTRIBUTION_NS, ctx.state.n])].sort((a, b) => a - b);
    const values = [...new Set(rewards)].sort((a, b) => a - b);
    fillTable(
      distributionTable,
      'How likely the chosen sample is to have each reward: best of n draws from these samples',
      ['n', ...values.map((v) => `reward ${v}`), 'mean', 'KL (nats)', 'ln n − (n − 1)/n'],
      shownNs.map((k) => [
        k === ctx.state.n ? `${k} (chosen n)` : k,
        ...bestOfNRewardDistribution(rewards, k).map((d) => `${formatNumber(100 * d.probability, 1)}%`),
        formatNumber(expected[k - 1], 2),
        formatNumber(kl[k - 1], 3),
        formatNumber(bestOfNKlLimit(k), 3),
      ]),
      { rowHeaders: true },
    );
    el.dataset.distribution = bestOfNRewardDistribution(rewards, ctx.state.n)
      .map((d) => `${d.reward}:${d.probability.toFixed(6)}`)
      .join(',');
    el.dataset.rewards = rewards.join(',');
    el.dataset.expected = expected[k].toFixed(6);
    el.dataset.kl = kl[k].toFixed(6);
    el.dataset.chosen = String(chosen);
  }

  let runs = 0;
  async function run(): Promise<void> {
    const runId = ++runs;
    el.dataset.state = 'running';
    const hero = heroOf(ctx.state.prompt);
    if (!hero) {
      el.dataset.state = 'invalid';
      ctx.status('error', 'The prompt names no hero for the reward to look for: introduce one with "named" or "called", as in "a girl named Lily".');
      return;
    }
    const prepared = await promptIds(runtime, model, ctx.state.prompt, NEW_TOKENS);
    if (prepared.problem !== null) {
      el.dataset.state = 'invalid';
      ctx.status('error', prepared.problem);
      return;
    }
    try {
      const texts: string[] = [];
      for (let seed = 1; seed <= ctx.state.samples; seed++) {
        ctx.status('loading', `Sampling continuation ${seed} of ${ctx.state.samples}…`);
        const result = await runtime.generate({ ids: prepared.ids, maxNewTokens: NEW_TOKENS, temperature: ctx.state.temperature, seed }).result;
        if (runId !== runs || ctx.signal.aborted) return;
        texts.push(result.text);
      }
      current = { hero, texts, rewards: texts.map((t) => heroReward(hero, t)) };
      draw();
      el.dataset.state = 'done';
      reportRun(ctx, []);
    } catch (error) {
      if (runId === runs) {
        el.dataset.state = 'invalid';
        reportFailure(ctx, error);
      }
    }
  }

  onWidthChange(el, ctx.signal, draw);
  for (const [control, key, rerun] of [[samples, 'samples', true], [temperature, 'temperature', true], [n, 'n', false]] as const) {
    control.input.addEventListener(
      rerun ? 'change' : 'input',
      () => {
        ctx.setState({ [key]: Number(control.input.value) } as Partial<State>);
        if (rerun) void run();
        else draw();
      },
      { signal: ctx.signal },
    );
  }
  await run();
}

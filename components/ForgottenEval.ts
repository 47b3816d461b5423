// The forgotten eval(): the validation loss of the shipped model over a sample of the validation
// split, computed in eval mode (dropout off) and, as a script that forgot model.eval() would, in
// train mode with dropout p, twice with different masks.
import dropoutRunsCss from './DropoutRuns.css?url';
import { MAX_DROPOUT_RATE, describeBadRate, meanTokenLoss, perplexity } from '../src/chapters/dropout';
import type { RuntimeClient } from '../src/runtime/client';
import { integer, number } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { debounced, element, fillTable, slider } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(dropoutRunsCss);

/** Written by scripts/make-validation-sample.ts. */
const SAMPLE_URL = `${import.meta.env.BASE_URL}data/validation-sample.json`;

/** The figure's numbers are the shipped model's loss on its own corpus's validation texts. */
export const needsShippedModel = 'it measures the shipped model’s loss on the validation texts of its own training corpus';

export const schema = {
  p: number(0, MAX_DROPOUT_RATE, 0.1),
  /** Seed of the first train-mode evaluation's masks. */
  seed: integer(1, 100_000, 1),
};

type State = StateOf<typeof schema>;

/** Seeds of the second train-mode evaluation are this far from the first's. */
const SECOND_SEED_OFFSET = 1000;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const controls = element('div', 'widget-controls dr-controls');
  const rate = slider('Dropout p', { min: 0, max: MAX_DROPOUT_RATE, step: 0.05, value: ctx.state.p });
  const again = element('button', undefined, 'Evaluate again with new masks');
  again.type = 'button';
  controls.append(rate.label, again);

  const numbers = document.createElement('dl');
  numbers.className = 'fe-numbers';
  const summary = element('p', 'widget-summary');
  const details = document.createElement('details');
  const detailsSummary = document.createElement('summary');
  detailsSummary.textContent = 'Loss per validation text';
  const perText = document.createElement('table');
  perText.className = 'di-table';
  details.append(detailsSummary, perText);
  el.append(controls, numbers, summary, details);

  let runtime: RuntimeClient | null = null;
  let texts: string[] | null = null;
  let evalLosses: number[][] | null = null;
  let runNumber = 0;

  const readout = () => {
    rate.output.value = ctx.state.p.toFixed(2);
    rate.input.setAttribute('aria-valuetext', `p = ${ctx.state.p.toFixed(2)}`);
  };

  async function run(): Promise<void> {
    const { p, seed } = ctx.state;
    const thisRun = ++runNumber;
    readout();
    const problem = describeBadRate(p);
    if (problem) {
      ctx.status('note', problem);
      return;
    }
    el.dataset.state = 'running';
    try {
      if (!runtime) {
        ctx.status('loading', 'Loading the model and the validation sample…');
        const [loaded, sample] = await Promise.all([
          ctx.model(),
          fetch(SAMPLE_URL).then((response) => {
            if (!response.ok) throw new Error(`Could not load ${SAMPLE_URL}: HTTP ${response.status}`);
            return response.json() as Promise<{ texts: string[] }>;
          }),
        ]);
        runtime = loaded.runtime;
        texts = sample.texts;
      }
      ctx.status('loading', `Computing the loss over ${texts!.length} validation texts, three times…`);
      evalLosses ??= (await runtime.loss({ texts: texts!, training: false, truncate: true })).losses;
      const first = (await runtime.loss({ texts: texts!, training: true, dropoutRate: p, seed, truncate: true })).losses;
      const second = (await runtime.loss({ texts: texts!, training: true, dropoutRate: p, seed: seed + SECOND_SEED_OFFSET, truncate: true })).losses;
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      draw(p, evalLosses, first, second);
      el.dataset.state = 'done';
      ctx.status('ready');
    } catch (error) {
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      el.dataset.state = 'invalid';
      ctx.status('error', `The validation loss could not be computed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  function draw(p: number, evaluation: number[][], first: number[][], second: number[][]): void {
    const evalLoss = meanTokenLoss(evaluation);
    const trainLoss = meanTokenLoss(first);
    const trainAgain = meanTokenLoss(second);
    const tokens = evaluation.reduce((sum, row) => sum + row.length, 0);
    const entry = (term: string, value: string, key: string) => {
      const wrapper = document.createElement('div');
      wrapper.dataset.value = key;
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      const [loss, extra] = value.split(' (');
      const small = document.createElement('small');
      small.textContent = extra ? `(${extra}` : '';
      dd.append(loss, small);
      wrapper.append(dt, dd);
      return wrapper;
    };
    const nats = (loss: number) => `${loss.toFixed(3)} nats (perplexity ${perplexity(loss).toFixed(2)})`;
    numbers.replaceChildren(
      entry('model.eval()', nats(evalLoss), 'eval'),
      entry(`model.train(), p = ${p.toFixed(2)}`, nats(trainLoss), 'train'),
      entry('model.train(), other masks', nats(trainAgain), 'train-again'),
    );
    el.dataset.evalLoss = evalLoss.toFixed(6);
    el.dataset.trainLoss = trainLoss.toFixed(6);
    const gap = trainLoss - evalLoss;
    summary.textContent =
      p === 0
        ? `With p = 0, train mode drops nothing: both losses are ${evalLoss.toFixed(3)} nats over ${tokens} tokens.`
        : `Forgetting model.eval() ${gap >= 0 ? 'adds' : 'changes the loss by'} ${Math.abs(gap).toFixed(3)} nats over ${tokens} tokens, and the train-mode number moves by ${Math.abs(trainAgain - trainLoss).toFixed(3)} between two evaluations of the same weights.`;

    fillTable(
      perText,
      'Mean loss per text, nats',
      ['text', 'eval', 'train', 'train − eval'],
      evaluation.map((row, i) => {
        const e = meanTokenLoss([row]);
        const t = meanTokenLoss([first[i]]);
        return [i + 1, e.toFixed(3), t.toFixed(3), (t - e).toFixed(3)];
      }),
      { rowHeaders: true },
    );
    perText.querySelectorAll<HTMLElement>('tbody th').forEach((th, i) => (th.title = texts![i]));
  }

  const schedule = debounced(() => void run(), ctx.signal);
  rate.input.addEventListener(
    'input',
    () => {
      ctx.setState({ p: Number(rate.input.value) });
      readout();
      schedule(400);
    },
    { signal: ctx.signal },
  );
  again.addEventListener(
    'click',
    () => {
      ctx.setState({ seed: (ctx.state.seed % schema.seed.max) + 1 });
      schedule(0);
    },
    { signal: ctx.signal },
  );
  // The first run is awaited, so a note about a bad link (shown after mount) is not overwritten.
  await run();
}

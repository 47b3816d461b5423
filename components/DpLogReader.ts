// Read two Hugging Face Trainer logs (the study notes' one-machine and two-machine runs are the
// default): what each summary implies (optimizer steps, samples counted, epochs done, seconds per
// step), the speedup and efficiency the summaries suggest, the speedup per epoch actually done,
// and the caveats, all computed by src/chapters/dataParallel.ts. Nothing here needs the model.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import dpWidgetsCss from './dpWidgets.css?url';
import { compareRuns, MAX_LOG_CHARACTERS, NOTES_SINGLE_MACHINE_LOG, NOTES_TWO_MACHINE_LOG, readTrainerLog, runFigures, type TrainerRun } from '../src/chapters/dataParallel';
import { integer, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { controlId, debounced, element, fillTable, tableScroller } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(dpWidgetsCss);

export const schema = {
  /** Devices (machines) of the first and the second run. */
  baseDevices: integer(1, 4096, 1),
  scaledDevices: integer(1, 4096, 2),
};

type State = StateOf<typeof schema>;

const RUNS = ['first', 'second'] as const;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const logs = element('div', 'dp-logs');
  const boxes = RUNS.map((which, i) => {
    const label = element('label');
    const box = element('textarea');
    box.id = controlId('dp-log');
    box.rows = 7;
    box.spellcheck = false;
    box.maxLength = MAX_LOG_CHARACTERS;
    box.value = i === 0 ? NOTES_SINGLE_MACHINE_LOG : NOTES_TWO_MACHINE_LOG;
    label.append(`Log of the ${which} run`, box);
    logs.append(label);
    return box;
  });
  const grid = element('div', 'dp-grid');
  const deviceInputs = (['baseDevices', 'scaledDevices'] as const).map((name, i) => {
    const label = element('label');
    const input = element('input');
    input.type = 'number';
    input.min = '1';
    input.max = String(schema[name].max);
    input.step = '1';
    input.value = String(ctx.state[name]);
    label.append(`Devices of the ${RUNS[i]} run`, input);
    grid.append(label);
    return input;
  });
  const reset = element('button', 'mw-button', "Back to the notes' logs");
  reset.type = 'button';
  const verdict = element('div', 'mw-readout dp-verdict');
  verdict.setAttribute('aria-live', 'polite');
  const table = element('table', 'mw-table');
  const caveats = element('ol', 'dp-caveats');
  el.append(logs, grid, reset, verdict, tableScroller(table, 'What each summary implies (scrolls sideways)'), caveats);

  const read = (box: HTMLTextAreaElement, which: string): TrainerRun => {
    try {
      return readTrainerLog(box.value);
    } catch (error) {
      throw new Error(`${which === 'first' ? 'First' : 'Second'} log: ${(error as Error).message}`);
    }
  };

  const draw = () => {
    const devices = deviceInputs.map((input, i) => {
      const raw = input.value.trim();
      const value = Number(raw);
      if (raw === '' || !Number.isInteger(value) || value < 1 || value > 4096) throw new Error(`Devices of the ${RUNS[i]} run must be a whole number from 1 to 4,096; received "${raw.slice(0, 20)}".`);
      return value;
    });
    const [base, scaled] = [read(boxes[0], 'first'), read(boxes[1], 'second')];
    ctx.setState({ baseDevices: devices[0], scaledDevices: devices[1] });
    const comparison = compareRuns(base, scaled, devices[0], devices[1]);
    const figures = [runFigures(base), runFigures(scaled)];
    fillTable(
      table,
      'What each Trainer summary implies',
      ['', 'first run', 'second run'],
      [
        ['machines that printed', base.sources.length, scaled.sources.length],
        ['train_runtime (s)', figures[0].runtime, figures[1].runtime],
        ['optimizer steps (steps/s × runtime)', figures[0].optimizerSteps, figures[1].optimizerSteps],
        ['samples counted (samples/s × runtime)', figures[0].countedSamples.toFixed(0), figures[1].countedSamples.toFixed(0)],
        ['epochs done (the last epoch)', figures[0].epochsDone, figures[1].epochsDone],
        ['seconds per optimizer step', figures[0].secondsPerStep.toFixed(1), figures[1].secondsPerStep.toFixed(1)],
        ['epoch advance per logged step', figures[0].epochPerStep.toFixed(3), figures[1].epochPerStep.toFixed(3)],
        ['train_loss', base.summaries[0].trainLoss.toFixed(4), scaled.summaries[0].trainLoss.toFixed(4)],
        ['last logged loss', figures[0].lastLoss, figures[1].lastLoss],
      ],
      { rowHeaders: true },
    );
    const ratio = comparison.deviceRatio;
    verdict.replaceChildren(
      element(
        'p',
        undefined,
        `The summaries say: ${comparison.runtimeSpeedup.toFixed(2)}× faster with ${ratio === 1 ? 'the same number of' : `${Number(ratio.toFixed(2))} times the`} devices, an efficiency of ${Math.round(100 * comparison.runtimeEfficiency)}%${comparison.runtimeEfficiency > 1 ? ' ("better than linear")' : ''}.`,
      ),
      element(
        'p',
        undefined,
        `Per epoch actually done: ${comparison.epochSpeedup.toFixed(2)}×, an efficiency of ${Math.round(100 * comparison.epochEfficiency)}%.`,
      ),
    );
    caveats.replaceChildren(...comparison.caveats.map((line) => element('li', undefined, line)));
    ctx.status('ready');
  };

  const redraw = () => {
    try {
      draw();
    } catch (error) {
      verdict.replaceChildren();
      table.replaceChildren();
      caveats.replaceChildren();
      ctx.status('error', (error as Error).message);
    }
  };
  const schedule = debounced(redraw, ctx.signal);
  for (const box of boxes) box.addEventListener('input', () => schedule(300), { signal: ctx.signal });
  for (const input of deviceInputs) input.addEventListener('change', redraw, { signal: ctx.signal });
  reset.addEventListener(
    'click',
    () => {
      boxes[0].value = NOTES_SINGLE_MACHINE_LOG;
      boxes[1].value = NOTES_TWO_MACHINE_LOG;
      redraw();
    },
    { signal: ctx.signal },
  );
  redraw();
}

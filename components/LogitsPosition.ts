// Where the next-token logits come from: generate() reads the LAST column of the batch for every
// row. With left padding that is each row's own last token; with right padding it is a pad for
// every row shorter than the longest. The step control appends generated tokens, as generate()
// does, so the reader sees the new tokens land after the pads. Illustrative words, no model.
import paddingBatchCss from './PaddingBatch.css?url';
import { PADDING_SIDES, logitsSources, padBatch } from '../src/chapters/padding';
import { choice, integer } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, radioGroup, slider } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(paddingBatchCss);

/** Three prompts as words (a token per word, for the picture); the tokens are their indices. */
export const EXAMPLE_ROWS: readonly (readonly string[])[] = [
  ['Once', 'upon', 'a', 'time'],
  ['The', 'dog'],
  ['Lily', 'found', 'a', 'red', 'ball'],
];
const MAX_STEPS = 3;

export const schema = {
  side: choice(PADDING_SIDES, 'right'),
  /** How many tokens generate() has appended so far. */
  step: integer(0, MAX_STEPS, 0),
};

type State = StateOf<typeof schema>;

const PAD = -1;

export function mount(el: HTMLElement, ctx: WidgetContext<State>): void {
  const controls = element('div', 'widget-controls pb-controls');
  const { fieldset: sides } = radioGroup('Padding side', `${ctx.id}-side`, PADDING_SIDES.map((side) => [side, side] as const), ctx.state.side, {
    signal: ctx.signal,
    onChange: (side) => {
      ctx.setState({ side });
      draw();
    },
  });
  const { label: stepLabel, input: stepSlider, output: stepOutput } = slider('Tokens generated', { min: 0, max: MAX_STEPS, step: 1, value: ctx.state.step });
  controls.append(sides, stepLabel);

  const scroller = document.createElement('div');
  scroller.className = 'pb-scroller';
  scroller.tabIndex = 0;
  scroller.setAttribute('role', 'region');
  scroller.setAttribute('aria-label', 'Where the logits are read (scrolls sideways)');
  const explanation = document.createElement('ul');
  explanation.className = 'lp-explanation';
  el.append(controls, scroller, explanation);

  const draw = () => {
    const { side, step } = ctx.state;
    stepOutput.value = String(step);
    stepSlider.setAttribute('aria-valuetext', `${step} token${step === 1 ? '' : 's'} generated`);
    const words = EXAMPLE_ROWS.map((row) => [...row]);
    const ids = words.map((row) => row.map((_, i) => i));
    const { input, attentionMask } = padBatch(ids, side, PAD);
    // generate() appends one new token to every row per step: a real token, mask 1.
    const grid = input.map((row, r) => [
      ...row.map((id, c) => (attentionMask[r][c] ? words[r][id] : 'pad')),
      ...Array.from({ length: step }, (_, k) => `new ${k + 1}`),
    ]);
    const mask = attentionMask.map((row) => [...row, ...new Array<number>(step).fill(1)]);
    const promptMask = attentionMask;
    const sources = logitsSources(mask);
    const promptSources = logitsSources(promptMask);

    const table = document.createElement('table');
    table.className = 'pb-grid';
    const caption = document.createElement('caption');
    caption.textContent = `${side} padding after ${step} generated token${step === 1 ? '' : 's'}: the outlined column is where generate() reads the next-token logits`;
    table.append(caption);
    const head = document.createElement('thead');
    const headRow = document.createElement('tr');
    headRow.append(document.createElement('td'));
    const width = grid[0].length;
    for (let c = 0; c < width; c++) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = String(c);
      if (c === width - 1) th.className = 'pb-read';
      headRow.append(th);
    }
    head.append(headRow);
    const body = document.createElement('tbody');
    grid.forEach((row, r) => {
      const tr = document.createElement('tr');
      tr.className = 'pb-line-token';
      const th = document.createElement('th');
      th.scope = 'row';
      th.className = 'pb-row';
      th.textContent = `Row ${r + 1}`;
      tr.append(th);
      row.forEach((word, c) => {
        const td = document.createElement('td');
        td.textContent = word;
        if (!mask[r][c]) td.classList.add('pb-pad');
        if (c === width - 1) td.classList.add('pb-read');
        if (step === 0 && !sources[r].correct && c === sources[r].lastRealColumn) td.classList.add('pb-lastreal');
        tr.append(td);
      });
      body.append(tr);
    });
    table.append(head, body);
    scroller.replaceChildren(table);

    explanation.replaceChildren(
      ...grid.map((row, r) => {
        const li = document.createElement('li');
        const read = row[width - 1];
        const own = promptSources[r];
        if (step === 0) {
          li.textContent = own.correct
            ? `Row ${r + 1}: generate() reads column ${width - 1}, “${read}”, the row’s own last token: correct.`
            : `Row ${r + 1}: generate() reads column ${width - 1}, a pad; the row’s last token “${row[own.lastRealColumn]}” is in column ${own.lastRealColumn}, so the first new token is predicted from the wrong place.`;
        } else {
          li.textContent = own.correct
            ? `Row ${r + 1}: the new tokens follow the prompt directly.`
            : `Row ${r + 1}: the new tokens sit after ${input[r].length - 1 - own.lastRealColumn} pad${input[r].length - 1 - own.lastRealColumn === 1 ? '' : 's'}; even when the mask hides them, the first new token was read from a pad.`;
        }
        if (!own.correct) li.className = 'lp-wrong';
        return li;
      }),
    );
  };

  stepSlider.addEventListener(
    'input',
    () => {
      ctx.setState({ step: Number(stepSlider.value) });
      draw();
    },
    { signal: ctx.signal },
  );
  draw();
}

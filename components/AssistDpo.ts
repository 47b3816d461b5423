// DPO on one preference pair, live: an instruction with a chosen and a rejected reply; ln π(y | x)
// of each under the policy (the shipped SFT adapter) and the reference (the shipped model), DPO's
// implicit reward β ln(π / π_ref) of each, the margin, the loss −ln σ(margin) and the weight the
// pair would get in the gradient. β is a slider (the arithmetic only; no new forward pass), and
// the curve shows the loss for every β.
import trainWidgetsCss from './trainWidgets.css?url';
import assistBaseVsSftCss from './AssistBaseVsSft.css?url';
import { chatPrompt, dpoLoss, type ReplyLogProbs } from '../src/chapters/assistant';
import { sftExample } from '../src/chapters/training';
import { lineCurves } from '../src/charts/lineCurves';
import { cleanPrompt } from '../src/widgets/prompt';
import { number, text, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import type { RuntimeClient } from '../src/runtime/client';
import { element, fillTable, formatNumber, loadModel, onWidthChange, reportFailure, slider, tableScroller } from './modelWidgetParts';
import { logProbsUnderBoth } from './AssistBaseVsSft';
import { pageTokenizer } from './promptTokens';
import { ensureAdapterSession } from './trainParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(trainWidgetsCss);
loadStylesheet(assistBaseVsSftCss);

export const needsShippedModel = 'it compares the shipped model with its SFT adapter';

export const MAX_INSTRUCTION = 160;
export const MAX_REPLY = 160;

export const schema = {
  prompt: text(MAX_INSTRUCTION, 'What sound does a cow make?'),
  chosen: text(MAX_REPLY, 'A cow says "Moo!"'),
  rejected: text(MAX_REPLY, 'A cow says "Woof!"'),
  beta: number(0.01, 1, 0.1),
};

type State = StateOf<typeof schema>;

/** The β values of the loss curve. */
const BETAS = Array.from({ length: 100 }, (_, i) => (i + 1) / 100);

/** A reply as the chat data write it: after "[/INST]", with a space first. */
function asResponse(reply: string): string {
  return /^\s/.test(reply) ? reply : ` ${reply}`;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const form = element('form', 'assist-form');
  const fields = (['prompt', 'chosen', 'rejected'] as const).map((key) => {
    const label = element('label', 'mw-prompt__label', { prompt: 'Instruction', chosen: 'Chosen reply (y_w)', rejected: 'Rejected reply (y_l)' }[key]);
    const input = element('input');
    input.type = 'text';
    input.maxLength = key === 'prompt' ? MAX_INSTRUCTION : MAX_REPLY;
    input.value = ctx.state[key];
    input.spellcheck = false;
    label.append(input);
    form.append(label);
    return [key, input] as const;
  });
  const button = element('button', 'mw-button', 'Run');
  button.type = 'submit';
  form.append(button);
  const beta = slider('β', { min: 0.01, max: 1, step: 0.01, value: ctx.state.beta });
  const readout = element('p', 'mw-readout');
  readout.setAttribute('aria-live', 'polite');
  const table = element('table', 'mw-table');
  const chart = element('div', 'mw-chart');
  el.append(form, beta.label, readout, tableScroller(table, 'The pair under both models'), chart);

  let runtime: RuntimeClient;
  try {
    ({ runtime } = await loadModel(ctx));
  } catch (error) {
    reportFailure(ctx, error, 'The model could not load');
    return;
  }

  let pair: { chosen: ReplyLogProbs & { tokens: number }; rejected: ReplyLogProbs & { tokens: number } } | null = null;

  function draw(): void {
    beta.output.value = ctx.state.beta.toFixed(2);
    if (!pair) return;
    const { chosen, rejected } = pair;
    const result = dpoLoss(ctx.state.beta, chosen, rejected);
    fillTable(
      table,
      `ln π(y | x) of each reply under the policy (SFT) and the reference (base), and DPO's implicit reward at β = ${ctx.state.beta.toFixed(2)}`,
      ['reply', 'tokens', 'ln π SFT', 'ln π_ref base', 'ln π − ln π_ref', 'β · (ln π − ln π_ref)'],
      [
        ['chosen', chosen.tokens, formatNumber(chosen.policy, 3), formatNumber(chosen.reference, 3), formatNumber(chosen.policy - chosen.reference, 3), formatNumber(result.chosenReward, 3)],
        ['rejected', rejected.tokens, formatNumber(rejected.policy, 3), formatNumber(rejected.reference, 3), formatNumber(rejected.policy - rejected.reference, 3), formatNumber(result.rejectedReward, 3)],
      ],
      { rowHeaders: true },
    );
    readout.textContent =
      `Margin ${formatNumber(result.margin, 3)}; DPO loss −ln σ(margin) = ${formatNumber(result.loss, 4)} nats (ln 2 = 0.6931 when the margin is 0); ` +
      `the pair's weight in the gradient, σ(−margin) = ${formatNumber(result.gradientWeight, 3)}. ` +
      (result.margin > 0
        ? 'The SFT model already prefers the chosen reply more than the base does: a DPO step would push only gently.'
        : result.margin < 0
          ? 'The SFT model prefers the rejected reply more than the base does: a DPO step would push hard.'
          : 'The two replies have the same log-ratio: the loss is ln 2.');
    const width = Math.max(260, el.clientWidth);
    const losses = BETAS.map((b) => dpoLoss(b, chosen, rejected).loss);
    chart.replaceChildren(
      lineCurves(
        [
          { name: 'DPO loss at β', className: 'chart-line--1', points: BETAS.map((b, i) => ({ x: b, y: losses[i] })) },
          { name: 'chosen β', className: 'chart-line--3', points: [{ x: ctx.state.beta, y: 0 }, { x: ctx.state.beta, y: Math.max(...losses, Math.LN2) }] },
        ],
        { width, height: 160, yDomain: [0, Math.max(...losses, Math.LN2) * 1.05], xLabel: 'β', yLabel: 'loss (nats)' },
      ),
    );
    el.dataset.chosenPolicy = chosen.policy.toFixed(4);
    el.dataset.chosenReference = chosen.reference.toFixed(4);
    el.dataset.rejectedPolicy = rejected.policy.toFixed(4);
    el.dataset.rejectedReference = rejected.reference.toFixed(4);
    el.dataset.loss = result.loss.toFixed(6);
  }

  let runs = 0;
  async function run(): Promise<void> {
    const runId = ++runs;
    el.dataset.state = 'running';
    const instruction = cleanPrompt(ctx.state.prompt);
    const replies = { chosen: cleanPrompt(ctx.state.chosen), rejected: cleanPrompt(ctx.state.rejected) };
    const empty = [['the instruction', instruction], ['the chosen reply', replies.chosen], ['the rejected reply', replies.rejected]].find(([, value]) => value.trim() === '');
    if (empty) {
      el.dataset.state = 'invalid';
      ctx.status('error', `Type ${empty[0]}: DPO compares two replies to one instruction.`);
      return;
    }
    try {
      const tokenizer = await pageTokenizer(runtime);
      const context = runtime.model?.config.max_position_embeddings ?? 256;
      const prompt = chatPrompt(instruction);
      let examples;
      try {
        examples = { chosen: sftExample(tokenizer, prompt, asResponse(replies.chosen)), rejected: sftExample(tokenizer, prompt, asResponse(replies.rejected)) };
      } catch {
        el.dataset.state = 'invalid';
        ctx.status('error', 'A reply\'s first token merges with "[/INST]"; start the reply with a letter or a space.');
        return;
      }
      const longest = Math.max(examples.chosen.ids.length, examples.rejected.ids.length);
      if (longest > context) {
        el.dataset.state = 'invalid';
        ctx.status('error', `Instruction and reply are ${longest} tokens together; the model reads at most ${context}. Shorten them.`);
        return;
      }
      ctx.status('loading', 'Loading the SFT adapter…');
      const session = await ensureAdapterSession(runtime, 'chat-sft-lora');
      ctx.status('loading', 'Scoring both replies under both models…');
      const scored = {} as { chosen: ReplyLogProbs & { tokens: number }; rejected: ReplyLogProbs & { tokens: number } };
      for (const key of ['chosen', 'rejected'] as const) {
        const { ids, lossMask } = examples[key];
        const { base, sft } = await logProbsUnderBoth(runtime, session, ids, lossMask!);
        scored[key] = { policy: sft.reduce((a, b) => a + b, 0), reference: base.reduce((a, b) => a + b, 0), tokens: sft.length };
      }
      if (runId !== runs || ctx.signal.aborted) return;
      pair = scored;
      draw();
      el.dataset.state = 'done';
      ctx.status('ready');
    } catch (error) {
      if (runId === runs) {
        el.dataset.state = 'invalid';
        reportFailure(ctx, error);
      }
    }
  }

  form.addEventListener(
    'submit',
    (event) => {
      event.preventDefault();
      const values = Object.fromEntries(fields.map(([key, input]) => [key, cleanPrompt(input.value).slice(0, key === 'prompt' ? MAX_INSTRUCTION : MAX_REPLY)]));
      ctx.setState(values as Partial<State>);
      void run();
    },
    { signal: ctx.signal },
  );
  beta.input.addEventListener(
    'input',
    () => {
      ctx.setState({ beta: Number(beta.input.value) });
      draw();
    },
    { signal: ctx.signal },
  );
  onWidthChange(el, ctx.signal, draw);
  await run();
}

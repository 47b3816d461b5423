// Base vs SFT: the same instruction, in the chat format ([INST] … [/INST]), to the shipped model
// and to it with the shipped SFT adapter (public/models/glass-llama/adapters/chat-sft-lora); both
// greedy replies side by side, and every token of each reply with its log-probability under both
// models, so the reader sees which tokens SFT made likely.
import trainWidgetsCss from './trainWidgets.css?url';
import assistBaseVsSftCss from './AssistBaseVsSft.css?url';
import { chatPrompt, replyLogProbs } from '../src/chapters/assistant';
import { pieceLabel } from '../src/widgets/pieces';
import { text, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import type { RuntimeClient } from '../src/runtime/client';
import { element, fillTable, formatNumber, loadModel, promptForm, reportFailure, tableScroller } from './modelWidgetParts';
import { pageTokenizer, promptIds } from './promptTokens';
import { ensureAdapterSession } from './trainParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(trainWidgetsCss);
loadStylesheet(assistBaseVsSftCss);

export const needsShippedModel = 'it compares the shipped model with its SFT adapter';

export const MAX_INSTRUCTION = 160;
/** New tokens per reply (greedy; a reply that ends with </s> stops sooner). */
export const REPLY_TOKENS = 32;

export const schema = {
  prompt: text(MAX_INSTRUCTION, 'What sound does a cow make?'),
};

type State = StateOf<typeof schema>;

/** ln p of each counted token of ids (mask 1) under the shipped model and under the SFT session. */
export async function logProbsUnderBoth(runtime: RuntimeClient, sftSession: string, ids: number[], lossMask: number[]): Promise<{ base: number[]; sft: number[] }> {
  const [base, sft] = await Promise.all([
    runtime.loss({ ids: [ids], training: false }),
    runtime.loss({ ids: [ids], training: false, session: sftSession }),
  ]);
  return { base: replyLogProbs(base.losses[0], lossMask), sft: replyLogProbs(sft.losses[0], lossMask) };
}

/** A token is marked when SFT raised its ln p by more than this many nats. */
const RAISED = 2;

const sum = (values: readonly number[]) => values.reduce((total, v) => total + v, 0);

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { form } = promptForm(ctx, { maxLength: MAX_INSTRUCTION, label: 'Instruction' }, (prompt) => {
    ctx.setState({ prompt });
    void run();
  });
  const shown = element('p', 'mw-readout');
  const readout = element('p', 'mw-readout');
  readout.setAttribute('aria-live', 'polite');
  const columns = element('div', 'assist-columns');
  const key = element('p', 'mw-readout', `Under each token: ln p under the base / with SFT. Outlined: tokens SFT made more than ${RAISED} nats likelier.`);
  el.append(form, shown, readout, key, columns);

  let runtime: RuntimeClient;
  let model: Awaited<ReturnType<typeof loadModel>>['model'];
  try {
    ({ runtime, model } = await loadModel(ctx));
  } catch (error) {
    reportFailure(ctx, error, 'The model could not load');
    return;
  }

  let runs = 0;
  async function run(): Promise<void> {
    const runId = ++runs;
    el.dataset.state = 'running';
    if (ctx.state.prompt.trim() === '') {
      el.dataset.state = 'invalid';
      ctx.status('error', 'Type an instruction: the models answer it in the chat format, [INST] instruction [/INST].');
      return;
    }
    const prompt = chatPrompt(ctx.state.prompt);
    shown.textContent = `Both models read: ${prompt}`;
    try {
      const prepared = await promptIds(runtime, model, prompt, REPLY_TOKENS);
      if (prepared.problem !== null) {
        el.dataset.state = 'invalid';
        ctx.status('error', prepared.problem);
        return;
      }
      ctx.status('loading', 'Loading the SFT adapter…');
      const session = await ensureAdapterSession(runtime, 'chat-sft-lora');
      const tokenizer = await pageTokenizer(runtime);
      ctx.status('loading', 'Writing both replies…');
      const base = await runtime.generate({ ids: prepared.ids, maxNewTokens: REPLY_TOKENS, temperature: 0 }).result;
      const sft = await runtime.generate({ ids: prepared.ids, maxNewTokens: REPLY_TOKENS, temperature: 0, session }).result;
      if (runId !== runs || ctx.signal.aborted) return;
      ctx.status('loading', 'Scoring each reply under both models…');
      const replies = [
        { who: 'base', title: 'Shipped model (base)', newIds: base.newIds },
        { who: 'sft', title: 'With the SFT adapter', newIds: sft.newIds },
      ] as const;
      const scored = [];
      for (const reply of replies) {
        const ids = [...prepared.ids, ...reply.newIds];
        const mask = ids.map((_, i) => (i < prepared.ids.length ? 0 : 1));
        scored.push({ ...reply, ...(await logProbsUnderBoth(runtime, session, ids, mask)) });
      }
      if (runId !== runs || ctx.signal.aborted) return;
      columns.replaceChildren(
        ...scored.map((reply) => {
          const column = element('section', 'assist-column');
          const replyText = tokenizer.decode(reply.newIds.filter((id) => id !== tokenizer.eosId)).trim();
          const ended = reply.newIds.at(-1) === tokenizer.eosId;
          column.append(element('h4', undefined, reply.title));
          column.append(element('p', 'assist-reply', replyText === '' ? '(an empty reply)' : `“${replyText}”${ended ? ' </s>' : ' …'}`));
          const totals = element('p', 'mw-readout');
          totals.textContent =
            `ln p of this reply (${reply.newIds.length} tokens): ${formatNumber(sum(reply.base), 2)} under the base, ${formatNumber(sum(reply.sft), 2)} with SFT ` +
            `(per token: ${formatNumber(sum(reply.base) / reply.newIds.length, 2)} and ${formatNumber(sum(reply.sft) / reply.newIds.length, 2)}).`;
          const pieces = reply.newIds.map((id) => pieceLabel(tokenizer.idToPiece(id)));
          const chips = element('ol', 'train-chips');
          chips.setAttribute('aria-label', `Tokens of the ${reply.who === 'base' ? 'base model' : 'SFT'} reply, each with ln p under the base and with SFT`);
          chips.append(
            ...pieces.map((piece, i) => {
              const raised = reply.sft[i] - reply.base[i] > RAISED;
              const chip = element('li', `train-chip${raised ? ' train-chip--counted' : ''}`);
              chip.append(element('span', 'train-chip__piece', piece), element('span', 'train-chip__loss', `${formatNumber(reply.base[i], 1)} / ${formatNumber(reply.sft[i], 1)}`));
              chip.title = `ln p ${formatNumber(reply.base[i], 3)} under the base, ${formatNumber(reply.sft[i], 3)} with SFT`;
              return chip;
            }),
          );
          const table = element('table', 'mw-table');
          fillTable(
            table,
            `Each token of the ${reply.who === 'base' ? 'base model' : 'SFT'} reply: ln p under the base and with SFT`,
            ['token', 'ln p base', 'ln p SFT', 'SFT − base'],
            reply.newIds.map((_, i) => [pieces[i], formatNumber(reply.base[i], 3), formatNumber(reply.sft[i], 3), formatNumber(reply.sft[i] - reply.base[i], 3)]),
            { rowHeaders: true },
          );
          const details = element('details', 'train-details');
          details.append(element('summary', undefined, 'Every token as a table'), tableScroller(table, `Tokens of the ${reply.who} reply (scrolls sideways)`));
          column.append(totals, chips, details);
          column.dataset.reply = reply.who;
          column.dataset.newIds = reply.newIds.join(',');
          column.dataset.base = sum(reply.base).toFixed(4);
          column.dataset.sft = sum(reply.sft).toFixed(4);
          return column;
        }),
      );
      const [b, s] = scored;
      const signed = (x: number) => `${x >= 0 ? '+' : '−'}${formatNumber(Math.abs(x), 1)}`;
      readout.textContent =
        `ln p with SFT minus ln p under the base: ${signed(sum(s.sft) - sum(s.base))} nats for the SFT reply, ${signed(sum(b.sft) - sum(b.base))} for the base model's reply. ` +
        `Each model finds its own greedy reply likely; the difference is what SFT moved.`;
      el.dataset.state = 'done';
      ctx.status('ready');
    } catch (error) {
      if (runId === runs) {
        el.dataset.state = 'invalid';
        reportFailure(ctx, error);
      }
    }
  }

  await run();
}

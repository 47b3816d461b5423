// The reader's prompt as token ids for the model widgets of the activation and decoding chapters:
// tokenized in the page with the model's own tokenizer (from the runtime), so a prompt that is
// empty or longer than the context gets a clear message before any forward pass.
import { Tokenizer } from '../src/llama/tokenizer';
import type { ModelSummary, RuntimeClient } from '../src/runtime/client';
import { cleanPrompt, promptProblem } from '../src/widgets/prompt';
import { kitStrings } from '../src/widgets/strings';
import type { WidgetContext } from '../src/widgets/types';
import { promptForm } from './modelWidgetParts';

/** By loaded model: the reader may load their own model, whose tokenizer is another. */
const tokenizers = new WeakMap<object, Promise<Tokenizer>>();

/** The loaded model's tokenizer, fetched from the worker once per model. */
export function pageTokenizer(runtime: RuntimeClient): Promise<Tokenizer> {
  const key = runtime.model ?? runtime;
  let tokenizer = tokenizers.get(key);
  if (!tokenizer) {
    tokenizer = runtime.tokenizer().then((json) => {
      if (!json) throw new Error(kitStrings.noTokenizer);
      return Tokenizer.fromJSON(json);
    });
    tokenizers.set(key, tokenizer);
  }
  return tokenizer;
}

/**
 * How many tokens (with <s>) the model reads for `text`, counted in the page before any forward
 * pass, so a prompt past the context gets the figure's own message, not the worker's refusal.
 * If the tokenizer cannot be had, 1: the worker still checks the length and refuses.
 */
export async function promptTokenCount(runtime: RuntimeClient, text: string): Promise<number> {
  try {
    return (await pageTokenizer(runtime)).encode(cleanPrompt(text), { bos: true }).length;
  } catch {
    return 1;
  }
}

/**
 * The ids of <s> + prompt, or the reason the model cannot read it (empty; longer than the context,
 * leaving `room` positions for new tokens). Control characters are dropped first.
 */
export async function promptIds(
  runtime: RuntimeClient,
  model: ModelSummary,
  text: string,
  room = 0,
): Promise<{ ids: number[]; problem: null } | { ids: null; problem: string }> {
  const tokenizer = await pageTokenizer(runtime);
  const cleaned = cleanPrompt(text);
  const ids = tokenizer.encode(cleaned, { bos: true });
  const context = model.config.max_position_embeddings;
  const problem =
    promptProblem(cleaned, ids.length, context) ??
    (ids.length + room > context
      ? kitStrings.promptTooLongForNewTokens(ids.length, room, context)
      : null);
  return problem ? { ids: null, problem } : { ids, problem: null };
}

/**
 * The prompt box (promptForm) that stores what the reader runs: the prompt, with `extra` (e.g.
 * clearing added tokens), goes into the state, then `run` is called.
 */
export function storedPromptForm<State extends { prompt: string }>(
  ctx: WidgetContext<State>,
  maxLength: number,
  run: () => void,
  extra: Partial<State> = {},
): HTMLFormElement {
  return promptForm(ctx, { maxLength }, (prompt) => {
    ctx.setState({ ...extra, prompt } as Partial<State>);
    run();
  }).form;
}

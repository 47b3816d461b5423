/**
 * The numbers and rules of the padding chapter (content/04-padding-side.mdx): how a batch of
 * prompts is padded, the attention mask, Hugging Face's position ids from the mask, which column
 * generate() reads the next-token logits from, and the check behind HF's right-padding warning.
 * Plain arrays only (no tfjs), so the widgets can use it; the model runs in the worker.
 * Checked by tests/unit/padding-chapter.test.ts.
 */

export type PaddingSide = 'left' | 'right';
export const PADDING_SIDES = ['left', 'right'] as const satisfies readonly PaddingSide[];

/** How many prompts the batch builder takes. */
export const MIN_PROMPTS = 2;
export const MAX_PROMPTS = 4;
/** Characters per prompt: the prompts must fit the context together with the new tokens. */
export const MAX_PROMPT_CHARACTERS = 120;

/** The batch the chapter starts with: three prompts of clearly different lengths. */
export const DEFAULT_PROMPTS = ['Once upon a time', 'The dog', 'Lily found a red ball in the park and'] as const;
/** New tokens per row in the batch builder. */
export const BATCH_NEW_TOKENS = 8;

export interface PaddedBatch {
  /** [batch, longest] token ids, padding included. */
  input: number[][];
  /** [batch, longest] 1 = real token, 0 = padding. */
  attentionMask: number[][];
}

/** Pad every prompt to the longest with padId, on the given side, as a tokenizer does. */
export function padBatch(prompts: readonly (readonly number[])[], side: PaddingSide, padId: number): PaddedBatch {
  const width = Math.max(...prompts.map((prompt) => prompt.length));
  const input: number[][] = [];
  const attentionMask: number[][] = [];
  for (const prompt of prompts) {
    const pads = new Array<number>(width - prompt.length).fill(padId);
    const ones = new Array<number>(prompt.length).fill(1);
    const zeros = new Array<number>(width - prompt.length).fill(0);
    input.push(side === 'left' ? [...pads, ...prompt] : [...prompt, ...pads]);
    attentionMask.push(side === 'left' ? [...zeros, ...ones] : [...ones, ...zeros]);
  }
  return { input, attentionMask };
}

/**
 * Hugging Face's position ids for a padded batch (LlamaForCausalLM.prepare_inputs_for_generation):
 *   position_ids = attention_mask.cumsum(-1) - 1;  position_ids.masked_fill_(attention_mask == 0, 1)
 * so every row's first real token is at position 0, whatever padding comes before it.
 */
export function positionIdsFromMask(mask: readonly (readonly number[])[]): number[][] {
  return mask.map((row) => {
    let realSoFar = 0;
    return row.map((real) => {
      realSoFar += real;
      return real === 0 ? 1 : realSoFar - 1;
    });
  });
}

/** The positions a forward uses when it is given none: 0, 1, 2, ... in every row. */
export function defaultPositionIds(mask: readonly (readonly number[])[]): number[][] {
  return mask.map((row) => row.map((_, column) => column));
}

export interface LogitsSource {
  /** The column whose logits generate() reads: always the last one, logits[:, -1, :]. */
  readColumn: number;
  /** The column of the row's last real token: where its next-token logits really are. */
  lastRealColumn: number;
  /** Whether the two agree, i.e. the row's next token is predicted from its own last token. */
  correct: boolean;
}

/** For each row of a padded batch, where generate() reads the logits and where it should. */
export function logitsSources(mask: readonly (readonly number[])[]): LogitsSource[] {
  return mask.map((row) => {
    const readColumn = row.length - 1;
    const lastRealColumn = row.lastIndexOf(1);
    return { readColumn, lastRealColumn, correct: readColumn === lastRealColumn };
  });
}

/** A column of the padded-batch table, or a gap standing for the hidden columns from..to. */
export type ShownColumn = { column: number } | { gap: { from: number; to: number } };

/**
 * Which columns of a `width`-column batch to show when only `count` fit (count >= 1). The column
 * generate() reads (the last) comes first, then each row's last real token (where its logits
 * should come from), then column 0, then the others from the right end leftwards, so the pads
 * and the text ends stay in view. Runs of hidden columns become one gap, in column order.
 */
export function shownColumns(width: number, count: number, sources: readonly LogitsSource[]): ShownColumn[] {
  const order = [width - 1, ...sources.map((source) => source.lastRealColumn), 0];
  for (let column = width - 2; column > 0; column--) order.push(column);
  const kept = [...new Set(order.filter((column) => column >= 0 && column < width))].slice(0, Math.max(1, count)).sort((a, b) => a - b);
  const shown: ShownColumn[] = [];
  let next = 0;
  for (const column of kept) {
    if (column > next) shown.push({ gap: { from: next, to: column - 1 } });
    shown.push({ column });
    next = column + 1;
  }
  if (next < width) shown.push({ gap: { from: next, to: width - 1 } });
  return shown;
}

/**
 * The check behind Hugging Face's warning "A decoder-only architecture is being used, but
 * right-padding was detected!" (GenerationMixin.generate in transformers/generation/utils.py):
 * it fires when some row's LAST input id equals the pad token id. It looks at ids only, never at
 * the attention mask, so it misses right padding done with a different id than the one generate()
 * knows, and it fires on a left-padded row whose last real token happens to be the pad id.
 */
export function huggingFaceWarnsRightPadding(input: readonly (readonly number[])[], padTokenId: number | null): boolean {
  if (padTokenId === null || input.length < 2) return false;
  return input.some((row) => row[row.length - 1] === padTokenId);
}

/** The prompts of the batch builder: one per line of its text box. */
export function splitPrompts(text: string): string[] {
  // A final newline (the reader pressed Enter after the last prompt) does not start a prompt.
  return text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
}

// Control characters other than tab; the line breaks are gone after splitPrompts.
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;

/** null when the prompts make a batch, else a message that says what to change. */
export function describeBadPrompts(prompts: readonly string[]): string | null {
  if (prompts.length < MIN_PROMPTS) {
    return `Enter at least ${MIN_PROMPTS} prompts, one per line: a batch of one needs no padding.`;
  }
  if (prompts.length > MAX_PROMPTS) {
    return `This batch has ${prompts.length} prompts; the figure takes at most ${MAX_PROMPTS}, one per line.`;
  }
  for (const [index, prompt] of prompts.entries()) {
    if (prompt.trim() === '') return `Prompt ${index + 1} is empty: write some text on every line, or delete the line.`;
    if (prompt.length > MAX_PROMPT_CHARACTERS) {
      return `Prompt ${index + 1} has ${prompt.length} characters; keep each prompt under ${MAX_PROMPT_CHARACTERS + 1}.`;
    }
    if (CONTROL_CHARACTER.test(prompt)) return `Prompt ${index + 1} contains a control character; remove it.`;
  }
  return null;
}

/** Index of the first differing token of two continuations, or -1 when they are equal. */
export function firstDifference(a: readonly number[], b: readonly number[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/**
 * How much input a request may carry, checked in the worker on the token ids before any tensor
 * exists. Attention holds [batch, heads, seq, seq] scores per layer, so memory grows with the
 * square of the length: an 8,000-character link once asked the wasm backend for gigabytes and
 * aborted it, taking every widget of the page down with it. A refused request gets a sentence a
 * reader can act on, and the model never sees the input.
 */
import type { LlamaConfig } from '../llama/config';

/**
 * A forward that replaces the model's RoPE scaling (the context-extension figure) may run up to
 * this many times the trained context; every other request stays within the context. This is the
 * runtime's safety limit, above the figure's own (4 contexts), so the figure's message comes first.
 */
export const EXTENDED_CONTEXT_FACTOR = 8;

/** The most token positions (rows times the longest row) one batched request may hold. */
export const BATCH_TOKEN_FACTOR = 64;

/** 1612 -> "1,612", the way the messages print counts. */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

export interface LengthLimit {
  /** The most tokens one row may have. */
  tokens: number;
  /** Appended to the message after the limit, e.g. " (4 times its context of 256)". */
  why: string;
}

/** The limit for a request on this model: its context, or more for a context-extension forward. */
export function lengthLimit(config: LlamaConfig, { extendedContext = false } = {}): LengthLimit {
  const context = config.max_position_embeddings;
  if (!extendedContext) return { tokens: context, why: '' };
  return {
    tokens: EXTENDED_CONTEXT_FACTOR * context,
    why: ` with its RoPE scaling changed (${EXTENDED_CONTEXT_FACTOR} times its context of ${formatCount(context)})`,
  };
}

/**
 * Throws "This text is 1,612 tokens; the model reads at most 256." when a row is longer than the
 * limit (rows after the first are named: "Row 3 is ..."), or when the rows together hold more than
 * BATCH_TOKEN_FACTOR contexts of positions. `reserved` positions are kept free for new tokens.
 */
export function checkInputLength(rows: readonly (readonly number[])[], limit: LengthLimit, reserved = 0): void {
  const room = limit.tokens - reserved;
  for (const [index, row] of rows.entries()) {
    if (row.length <= room) continue;
    const what = rows.length === 1 ? 'This text' : `Row ${index + 1}`;
    const reads = reserved > 0
      ? `with ${formatCount(reserved)} new tokens the model reads at most ${formatCount(Math.max(0, room))}`
      : `the model reads at most ${formatCount(limit.tokens)}${limit.why}`;
    throw new RangeError(`${what} is ${formatCount(row.length)} tokens; ${reads}.`);
  }
  const width = Math.max(0, ...rows.map((row) => row.length));
  const positions = rows.length * width;
  const budget = BATCH_TOKEN_FACTOR * limit.tokens;
  if (positions > budget) {
    throw new RangeError(
      `These ${formatCount(rows.length)} rows of up to ${formatCount(width)} tokens are ${formatCount(positions)} positions; one request holds at most ${formatCount(budget)}.`,
    );
  }
}

/**
 * The fine-tuning data as training examples, from the corpus generator's records: the stories and
 * the notes are plain text (every token counts), the chat pairs are SFT examples (only the
 * response and its </s> count). Shared by scripts/finetune.ts, which reads data/<set>/<split>.jsonl,
 * and the tests, which regenerate the same records with generateSet (scripts/corpus.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tokenizer } from '../src/llama/tokenizer';
import type { TokenizedExample } from '../src/llama/train';
import { tokenizeChatPairs } from './train';

export type FinetuneData = 'notes' | 'chat';
/** The sets every fine-tune is evaluated on: the stories (forgetting) and both new sets (gain). */
export const FINETUNE_EVAL_SETS = ['stories', 'notes', 'chat'] as const;
export type EvalSet = (typeof FINETUNE_EVAL_SETS)[number];

/** Records as the corpus writes them: { text } for stories and notes, { prompt, response } for chat. */
export function examplesFromRecords(tokenizer: Tokenizer, set: EvalSet, records: Record<string, unknown>[]): TokenizedExample[] {
  if (set === 'chat') return tokenizeChatPairs(tokenizer, records as { prompt: string; response: string }[]);
  return records.map((record) => ({ ids: [...tokenizer.encode(record.text as string), tokenizer.eosId] }));
}

/** data/<set>/<split>.jsonl as training examples (needs `npm run corpus`). */
export function corpusExamples(tokenizer: Tokenizer, set: EvalSet, split: 'train' | 'validation' | 'test'): TokenizedExample[] {
  const records = readFileSync(join('data', set, `${split}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return examplesFromRecords(tokenizer, set, records);
}

/** The five kinds of chat pair the corpus writes (scripts/corpus/chat.ts), told apart by the prompt. */
export type ChatKind = 'sound' | 'food' | 'who' | 'name' | 'sentence';

export function chatKind(prompt: string): ChatKind {
  if (prompt.includes('What sound does')) return 'sound';
  if (prompt.includes('like to eat?')) return 'food';
  if (prompt.includes('Who is this story about?')) return 'who';
  if (prompt.includes('Give me a name')) return 'name';
  return 'sentence';
}

/**
 * Whether a reply answers a chat prompt right: the reference word for word (spaces at the ends
 * aside), except for "Give me a name", where any name in the reference's form is right.
 */
export function chatReplyCorrect(prompt: string, reference: string, reply: string): boolean {
  if (chatKind(prompt) === 'name') return /^How about [A-Z][a-z]+\? It is a nice name\.$/.test(reply.trim());
  return reply.trim() === reference.trim();
}

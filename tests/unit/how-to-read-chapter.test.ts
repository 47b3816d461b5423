// What chapter 1 and the home page say about the shipped model's training data, checked against
// the training log and the model card that ship with the weights.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('the training data chapter 1 describes', () => {
  const log = JSON.parse(read('public/models/glass-llama/training-log.json')) as {
    options: { corpus: string };
    corpusTokens: { train: number };
  };
  const chapter = read('content/01-how-to-read.mdx');

  test('the model was trained on the stories corpus only, as the model card says', () => {
    expect(log.options.corpus).toBe('stories');
    expect(read('public/models/glass-llama/README.md')).toContain('Only `stories` was used for this pretraining run');
  });

  test('the chapter states the training tokens of the log (7.7 million) and names no other corpus as trained on', () => {
    expect((log.corpusTokens.train / 1e6).toFixed(1)).toBe('7.7');
    expect(chapter).toContain('(7.7 million tokens of them) and on nothing else: no notes, no chat, no other language');
    expect(chapter).not.toMatch(/Chinese/);
  });

  test('the home page promises only topics that have a chapter', () => {
    const home = read('src/pages/index.astro');
    // tokens and embeddings have no chapter yet
    expect(home).not.toMatch(/becomes tokens|embedding/i);
    expect(chapter).not.toMatch(/\(tokens, embeddings/);
  });
});

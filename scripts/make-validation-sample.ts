/**
 * Writes public/data/validation-sample.json: a small, seeded sample of the stories' validation
 * split, for the "forgotten eval()" figure (components/ForgottenEval.ts), which computes a
 * validation loss in the reader's browser and so cannot read the whole split.
 *
 *   npx tsx scripts/make-validation-sample.ts [--count 16] [--max-characters 360] [--seed 6]
 *
 * Each story is cut at the last sentence end before max-characters, so a row stays well inside
 * the model's context (256 tokens) and the sample stays a few kilobytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRandom } from '../src/llama/rng';
import { readCorpusTexts } from './build-tokenizer';

export const VALIDATION_SAMPLE_PATH = join('public', 'data', 'validation-sample.json');

export interface ValidationSample {
  /** Where the texts come from, for the figure's caption. */
  source: string;
  seed: number;
  texts: string[];
}

/** text cut after the last ". ", "! " or "? " (or quote after it) before maxCharacters. */
export function cutAtSentence(text: string, maxCharacters: number): string {
  if (text.length <= maxCharacters) return text;
  const head = text.slice(0, maxCharacters);
  const ends = [...head.matchAll(/[.!?]["”]?(?=\s)/g)];
  const last = ends.at(-1);
  return last ? head.slice(0, last.index + last[0].length) : head.trimEnd();
}

/** `count` distinct stories drawn with the seeded generator, each cut to maxCharacters. */
export function validationSample(texts: readonly string[], count: number, maxCharacters: number, seed: number): string[] {
  const random = createRandom(seed);
  const chosen = new Set<number>();
  while (chosen.size < Math.min(count, texts.length)) chosen.add(Math.floor(random() * texts.length));
  return [...chosen].map((index) => cutAtSentence(texts[index], maxCharacters));
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const seed = option('--seed', 6);
  const sample: ValidationSample = {
    source: 'data/stories/validation.jsonl',
    seed,
    texts: validationSample(readCorpusTexts('stories', 'validation'), option('--count', 16), option('--max-characters', 360), seed),
  };
  mkdirSync(dirname(VALIDATION_SAMPLE_PATH), { recursive: true });
  writeFileSync(VALIDATION_SAMPLE_PATH, `${JSON.stringify(sample, null, 1)}\n`);
  const characters = sample.texts.reduce((sum, text) => sum + text.length, 0);
  console.log(`wrote ${VALIDATION_SAMPLE_PATH}: ${sample.texts.length} texts, ${characters} characters`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();

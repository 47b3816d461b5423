// The maths and the material of the long-context chapter (NBCE): the long stories the widgets
// continue, the name check, and recall counts. Pure functions, no tensors, no worker; the pooling
// itself is src/llama/nbce.ts and the generation loop src/llama/nbceGenerate.ts.
import { Dice } from '../../scripts/corpus/dice';
import { BOY_NAMES, GIRL_NAMES, PLACES, WEATHER } from '../../scripts/corpus/words';

/**
 * Sentences that name nobody and need no one to be named: the filler between the hero's
 * introduction and the end of a long story. (Sentences with "he" or "she" would make the next
 * character guessable without the name.)
 */
export const FILLER_SENTENCES = [
  ...WEATHER,
  'The grass was green.',
  'The flowers were red and yellow.',
  'The little dog ran by.',
  'The cat sat on the wall.',
  'There was a big tree on the hill.',
  'The trees were tall and green.',
  'The red bird sat in a tree.',
  'The river was cold and blue.',
  'The sun was warm.',
  'The duck swam on the pond.',
  'The leaves were falling.',
  'The bees flew from flower to flower.',
] as const;

/** How many filler sentences a long story has: with the shipped tokenizer, 300 to 400 tokens in all. */
export const LONG_STORY_FILLER = 48;

/** The question every long story ends with: the start of a sentence whose next word is a name. */
export const LONG_STORY_QUESTION = 'One day,';

export interface LongStory {
  seed: number;
  hero: string;
  /** The introduction, the only place the hero is named. */
  intro: string;
  /** Everything before the question: the introduction and the filler. */
  context: string;
  /** The end of the story, which every NBCE chunk is read with. */
  question: string;
  /** context + ' ' + question */
  text: string;
}

/** The largest seed the widgets take. */
export const LONG_STORY_MAX_SEED = 999;

/**
 * A story longer than the model's context with its hero named only at the start: an introduction
 * (two sentences, both with the name), `fillerSentences` sentences that name nobody, then
 * LONG_STORY_QUESTION. Deterministic: the same seed writes the same story (and with fewer filler
 * sentences, the same story cut short).
 */
export function longStory(seed: number, fillerSentences = LONG_STORY_FILLER): LongStory {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`longStory: the seed must be a whole number >= 0. Received ${seed}.`);
  const dice = new Dice(seed * 7919 + 17);
  const girl = dice.chance(0.5);
  const hero = dice.pick(girl ? GIRL_NAMES : BOY_NAMES);
  const kind = girl ? 'girl' : 'boy';
  const little = dice.pick(['little ', 'happy ', 'kind ', 'small ', '']);
  const place = dice.pick(PLACES).name;
  const intro = [
    dice.pick([
      `Once upon a time, there was a ${little}${kind} named ${hero}.`,
      `Once upon a time, there was a ${little}${kind} called ${hero}.`,
      `There once was a ${little}${kind} named ${hero}.`,
    ]),
    dice.pick([`${hero} lived near ${place}.`, `${hero} liked to play at ${place}.`, `${hero} loved ${place}.`]),
  ].join(' ');
  const filler: string[] = [];
  while (filler.length < fillerSentences) {
    const sentence = dice.pick(FILLER_SENTENCES);
    if (sentence !== filler.at(-1)) filler.push(sentence);
  }
  const context = [intro, ...filler].join(' ');
  return { seed, hero, intro, context, question: LONG_STORY_QUESTION, text: `${context} ${LONG_STORY_QUESTION}` };
}

/** Whether a continuation names the hero: the name as a whole word. */
export function namesHero(continuation: string, hero: string): boolean {
  return new RegExp(`(^|[^A-Za-z])${hero}([^A-Za-z]|$)`).test(continuation);
}

/** "12 of 20 (60%)" */
export function recallText(hits: number, total: number): string {
  return `${hits} of ${total} (${total === 0 ? 0 : Math.round((100 * hits) / total)}%)`;
}

/** A way to continue a long story, as the recall table runs it. */
export interface RecallMethod {
  label: string;
  method: 'truncate' | 'interpolate' | 'nbce';
  chunkSize?: number;
  pooling?: 'average' | 'lowestEntropy';
  beta?: number;
}

/** The rows of the recall table, for chunks of `chunkSize` tokens and NBCE's `beta`. */
export function recallMethods(chunkSize: number, beta: number): RecallMethod[] {
  return [
    { label: 'Truncation', method: 'truncate' },
    { label: 'Interpolation', method: 'interpolate' },
    { label: 'NBCE, lowest entropy', method: 'nbce', chunkSize, pooling: 'lowestEntropy', beta },
    { label: 'NBCE, average', method: 'nbce', chunkSize, pooling: 'average', beta },
  ];
}

/** New tokens per continuation in the recall table: enough for a name of up to three pieces. */
export const RECALL_NEW_TOKENS = 3;

/**
 * What the chapter states about the shipped model. tests/unit/nbce-chapter.test.ts recomputes
 * every number on the shipped weights (wasm backend, greedy).
 */
export const NBCE_FACTS = {
  /** Stories (seeds 0 .. stories - 1) the statements are about. */
  stories: 3,
  /** The plain model, the story cut after a few filler sentences (so it fits the context): names recalled. */
  plainRecall: { nearFiller: 2, near: 3, farFiller: 8, far: 0 },
  /** longStory(seed) for seeds 0 .. stories - 1: tokens of the whole text with BOS, smallest and largest. */
  tokens: { min: 365, max: 404 },
  /** The recall table with chunks of 32 and beta 0.25, and lowest entropy with chunks of 128. */
  recall: { truncate: 0, interpolate: 0, lowestEntropy32: 3, average32: 0, lowestEntropy128: 0 },
  /** Seed 0, chunks of 32, first step: the chunk with the name wins; its entropy and the smallest of the others (nats). */
  seed0: { hero: 'Karl', chunks: 12, winner: 0, winnerEntropyBelow: 0.1, othersAbove: 0.9 },
} as const;

/**
 * Writes the training corpora under data/, deterministically from one seed:
 *
 *   data/stories/{train,validation,test}.jsonl   English children's stories (pretraining)
 *   data/notes/...                                weather and cooking notes (post-pretraining)
 *   data/chat/...                                 [INST] instruction [/INST] response pairs (SFT)
 *   data/chinese/...                              Chinese stories (multilingual chapter)
 *   data/manifest.json                            counts, characters and SHA-256 of every file
 *
 * Each line is one whole example (JSON), and the split is drawn per example, so no story is ever
 * cut between train and test. The .jsonl files are not committed (regenerate with
 * `npm run corpus`); the manifest is, and its hashes prove the regeneration is identical.
 *
 * Usage: npm run corpus -- [--seed 1234] [--stories 50000]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeChatPair } from './corpus/chat';
import { writeChineseStory } from './corpus/chinese';
import { Dice } from './corpus/dice';
import { writeNote } from './corpus/notes';
import { CORPUS_SETS, SPLITS, type CorpusSet, type Split } from './corpus/splits';
import { writeStory } from './corpus/stories';


/** Fraction of examples that go to validation and to test; the rest train. */
const HELD_OUT_FRACTION = 0.04;

interface SetSpec {
  name: string;
  count: number;
  /** One example as a JSON-serialisable object. Every example has a `text` field. */
  write: (dice: Dice) => Record<string, unknown>;
}

function parseArgs(argv: string[]): { seed: number; stories: number; outDir: string } {
  const get = (flag: string, fallback: string) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : fallback;
  };
  return {
    seed: Number(get('--seed', String(DEFAULT_SEED))),
    stories: Number(get('--stories', String(DEFAULT_STORIES))),
    outDir: get('--out', 'data'),
  };
}

/** The four sets, with their example counts for a given number of stories. */
export function corpusSets(stories: number): SetSpec[] {
  return [
    { name: 'stories', count: stories, write: (dice) => ({ ...writeStory(dice) }) },
    { name: 'notes', count: 3000, write: (dice) => ({ text: writeNote(dice) }) },
    {
      name: 'chat',
      count: 3000,
      write: (dice) => {
        const pair = writeChatPair(dice);
        return { text: pair.prompt + pair.response, ...pair };
      },
    },
    { name: 'chinese', count: 3000, write: (dice) => ({ ...writeChineseStory(dice) }) },
  ];
}

export const DEFAULT_SEED = 1234;
export const DEFAULT_STORIES = 50000;

/**
 * Writes one set in memory, split by example. Each set has its own random streams (seeded by the
 * set's position), so adding examples to one set leaves the others unchanged.
 */
export function generateSet(
  setName: CorpusSet,
  { seed = DEFAULT_SEED, stories = DEFAULT_STORIES }: { seed?: number; stories?: number } = {},
): Record<Split, Record<string, unknown>[]> {
  const sets = corpusSets(stories);
  const setIndex = sets.findIndex((set) => set.name === setName);
  const set = sets[setIndex];
  const writer = new Dice(seed * 100 + setIndex);
  const splitter = new Dice(seed * 100 + setIndex + 50);
  const examples: Record<Split, Record<string, unknown>[]> = { train: [], validation: [], test: [] };
  for (let i = 0; i < set.count; i++) {
    const example = set.write(writer);
    const draw = splitter.below(1_000_000) / 1_000_000;
    const split: Split = draw < HELD_OUT_FRACTION ? 'validation' : draw < 2 * HELD_OUT_FRACTION ? 'test' : 'train';
    examples[split].push(example);
  }
  return examples;
}

function main() {
  const { seed, stories, outDir } = parseArgs(process.argv.slice(2));
  const manifest: Record<string, unknown> = { seed, stories, heldOutFraction: HELD_OUT_FRACTION, sets: {} };
  for (const setName of CORPUS_SETS) {
    const examples = generateSet(setName, { seed, stories });
    mkdirSync(join(outDir, setName), { recursive: true });
    const files: Record<string, unknown> = {};
    for (const split of SPLITS) {
      const content = examples[split].map((example) => JSON.stringify(example) + '\n').join('');
      writeFileSync(join(outDir, setName, `${split}.jsonl`), content);
      files[split] = {
        examples: examples[split].length,
        characters: examples[split].reduce((sum, example) => sum + (example.text as string).length, 0),
        sha256: createHash('sha256').update(content).digest('hex'),
      };
    }
    (manifest.sets as Record<string, unknown>)[setName] = files;
    console.log(setName, JSON.stringify(files));
  }
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}

if (process.argv[1]?.endsWith('corpus.ts')) main();

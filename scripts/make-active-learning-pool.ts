/**
 * Writes public/data/active-learning-pool.json: the texts of the retrieval chapter's active-learning
 * figure (components/RagActiveLearning.ts). A pool to choose fine-tuning texts from and a held-out
 * set to measure on, each half stories (the model's own domain) and half notes (weather reports
 * and recipes, which it never trained on), written by the corpus generators with their own seeds.
 *
 *   npx tsx scripts/make-active-learning-pool.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Dice } from './corpus/dice';
import { writeNote } from './corpus/notes';
import { writeStory } from './corpus/stories';

export const ACTIVE_LEARNING_POOL_PATH = join('public', 'data', 'active-learning-pool.json');

export interface ActiveLearningPool {
  source: string;
  seed: number;
  /** To choose from: `pool[i]` is a story or a note (`kinds[i]`), shuffled. */
  pool: string[];
  kinds: ('story' | 'note')[];
  /** Never trained on: the loss after fine-tuning is measured here. */
  heldOut: string[];
  heldOutKinds: ('story' | 'note')[];
}

/** `count` stories and `count` notes from one seeded stream, shuffled together (Fisher-Yates). */
function mixed(dice: Dice, count: number): { texts: string[]; kinds: ('story' | 'note')[] } {
  const items: { text: string; kind: 'story' | 'note' }[] = [];
  for (let i = 0; i < count; i++) items.push({ text: writeStory(dice).text, kind: 'story' }, { text: writeNote(dice), kind: 'note' });
  for (let i = items.length - 1; i > 0; i--) {
    const j = dice.below(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return { texts: items.map((item) => item.text), kinds: items.map((item) => item.kind) };
}

export function activeLearningPool(seed: number, poolHalf: number, heldOutHalf: number): ActiveLearningPool {
  const dice = new Dice(seed);
  const pool = mixed(dice, poolHalf);
  const heldOut = mixed(dice, heldOutHalf);
  return {
    source: `scripts/make-active-learning-pool.ts: ${poolHalf} stories and ${poolHalf} notes to choose from, ${heldOutHalf} of each held out (seed ${seed})`,
    seed,
    pool: pool.texts,
    kinds: pool.kinds,
    heldOut: heldOut.texts,
    heldOutKinds: heldOut.kinds,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const data = activeLearningPool(2026, 12, 8);
  mkdirSync(dirname(ACTIVE_LEARNING_POOL_PATH), { recursive: true });
  writeFileSync(ACTIVE_LEARNING_POOL_PATH, `${JSON.stringify(data, null, 1)}\n`);
  console.log(`wrote ${ACTIVE_LEARNING_POOL_PATH}: ${data.pool.length} pool texts, ${data.heldOut.length} held out`);
}

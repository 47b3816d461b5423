/**
 * Builds public/models/glass-llama/tokenizer.json: Llama-2's SentencePiece vocabulary (read from
 * the llama-tokenizer-js package) pruned to what our corpora use.
 *
 * Kept: <unk>, <s>, </s>, the 256 byte tokens (ids 0..258, the same ids as in Llama-2), every
 * piece that appears when Llama-2 tokenizes any corpus example, and every intermediate piece
 * that byte-pair merging forms on the way to those pieces (without them the merges that build
 * "▁Lily" could not run). Merge rules are kept when both sides and the result are kept, in
 * Llama-2's order, so corpus text tokenizes exactly as Llama-2 tokenizes it; the script checks
 * this on the held-out splits before writing.
 *
 * Also writes data/token-counts.json (corpus sizes in tokens, for the model card).
 *
 * Usage: npm run tokenizer   (after npm run corpus)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import llamaTokenizer from 'llama-tokenizer-js';
import { CORPUS_SETS, SPLITS } from './corpus/splits';
import { fullLlamaTokenizerJSON } from '../src/llama/llama2Vocabulary';
import { Tokenizer, bytePairMerge, type TokenizerJSON } from '../src/llama/tokenizer';


const OUT_DIR = 'public/models/glass-llama';
const SPECIAL_AND_BYTES = 3 + 256;

export function readCorpusTexts(set: string, split: string): string[] {
  return readFileSync(join('data', set, `${split}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line).text as string);
}

function main() {
  const full = fullLlamaTokenizerJSON();
  const llama = new Tokenizer(full);
  const used = new Set<number>();
  for (const set of CORPUS_SETS) {
    for (const split of SPLITS) {
      for (const text of readCorpusTexts(set, split)) for (const id of llama.encode(text)) used.add(id);
    }
  }
  // Merging starts from single characters and passes through intermediate pieces; all of them
  // must be kept for the merges that build a used piece to run.
  const rankOf = new Map(full.merges.map(([left, right], rank) => [`${full.pieces[left]} ${full.pieces[right]}`, rank]));
  const keptLlamaIds = new Set<number>(Array.from({ length: SPECIAL_AND_BYTES }, (_, id) => id));
  for (const id of used) {
    keptLlamaIds.add(id);
    if (id < SPECIAL_AND_BYTES) continue;
    const characters = [...full.pieces[id]];
    for (const character of characters) keptLlamaIds.add(llamaTokenizer.vocabByString.get(character)!);
    bytePairMerge(characters, (l, r) => rankOf.get(`${l} ${r}`), (merged) => keptLlamaIds.add(llamaTokenizer.vocabByString.get(merged)!));
  }
  const llamaIds = [...keptLlamaIds].sort((a, b) => a - b);
  const ourIdOf = new Map(llamaIds.map((llamaId, ourId) => [llamaId, ourId]));
  const pieces = llamaIds.map((llamaId) => full.pieces[llamaId]);
  const merges = full.merges
    .filter(([left, right]) => {
      const result = llamaTokenizer.vocabByString.get(full.pieces[left] + full.pieces[right]);
      return ourIdOf.has(left) && ourIdOf.has(right) && result !== undefined && ourIdOf.has(result);
    })
    .map(([left, right]) => [ourIdOf.get(left)!, ourIdOf.get(right)!] as [number, number]);
  const json: TokenizerJSON = {
    pieces,
    llamaIds,
    merges,
    unkId: 0,
    bosId: 1,
    eosId: 2,
    source: { name: 'Llama-2 SentencePiece (via llama-tokenizer-js 1.2.2)', vocabSize: full.pieces.length },
  };

  // Check: on held-out text, our ids mapped to Llama ids equal llama-tokenizer-js's ids.
  const ours = new Tokenizer(json);
  const tokenCounts: Record<string, Record<string, number>> = {};
  let checked = 0;
  for (const set of CORPUS_SETS) {
    tokenCounts[set] = {};
    for (const split of SPLITS) {
      let count = 0;
      for (const text of readCorpusTexts(set, split)) {
        const ids = ours.encode(text);
        count += ids.length;
        if (split === 'train') continue;
        const expected = llamaTokenizer.encode(text);
        const got = ids.map((id) => llamaIds[id]);
        if (got.join() !== expected.join()) throw new Error(`Mismatch with Llama-2 on ${set}/${split}: ${text.slice(0, 80)}`);
        if (ours.decode(ids) !== text) throw new Error(`Round trip failed on ${set}/${split}: ${text.slice(0, 80)}`);
        checked++;
      }
      tokenCounts[set][split] = count;
    }
  }
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'tokenizer.json'), JSON.stringify(json));
  writeFileSync('data/token-counts.json', JSON.stringify({ note: 'tokens including one <s> per example', ...tokenCounts }, null, 2) + '\n');
  console.log(
    `kept ${pieces.length} of ${full.pieces.length} pieces (${((100 * pieces.length) / full.pieces.length).toFixed(1)}%),`,
    `${merges.length} merges; ${checked} held-out examples match Llama-2 exactly`,
  );
  console.log(JSON.stringify(tokenCounts));
}

if (process.argv[1]?.endsWith('build-tokenizer.ts')) main();

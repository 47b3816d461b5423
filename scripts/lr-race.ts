/**
 * The learning-rate race shipped with the training chapter: for every rate of LR_RACE's menu, a
 * full-weight copy of the shipped model is fine-tuned on the same small sample of notes, exactly
 * as the page does it (the runtime's own Sessions: fork, trainSteps, the evaluate op's batches),
 * and its per-step losses, held-out loss and greedy sample are written to public/models/glass-llama/runs/lr-race.json.
 * The page shows these curves until the reader runs the race on their own device.
 *
 *   npx tsx scripts/lr-race.ts [--reuse FILE]   (needs `npm run corpus`: data/notes)
 *
 * --reuse FILE: runs already printed by an earlier, interrupted call (its stdout, one JSON run per
 * line) are taken from FILE instead of trained again (the same seed trains them identically).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { heldOutSeqLength, LR_RACE, LR_RACE_URL_PATH, lrRaceSchedule, noteExamples, type LrRaceFile } from '../src/chapters/training';
import { generate } from '../src/llama/generate';
import { LlamaModel } from '../src/llama/model';
import { createRandom } from '../src/llama/rng';
import type { Tokenizer } from '../src/llama/tokenizer';
import { evaluateLoss, PackedCorpus, type TokenizedExample } from '../src/llama/train';
import { Sessions } from '../src/runtime/sessions';
import { readCorpusTexts } from './build-tokenizer';
import { readModelFiles, useNodeBackend } from './load-model';

/** `count` distinct texts drawn with the seeded generator, in the order drawn. */
export function drawTexts(texts: readonly string[], count: number, seed: number): string[] {
  const random = createRandom(seed);
  const chosen = new Set<number>();
  while (chosen.size < Math.min(count, texts.length)) chosen.add(Math.floor(random() * texts.length));
  return [...chosen].map((i) => texts[i]);
}

/** The held-out loss as the page's evaluate op computes it: one batch of every held-out note. */
export function heldOutLoss(model: LlamaModel, examples: TokenizedExample[]): number {
  const batches = new PackedCorpus(examples).evaluationBatches(examples.length, heldOutSeqLength(examples), examples.length);
  return evaluateLoss(model, batches);
}

async function sampleOf(model: LlamaModel, tokenizer: Tokenizer): Promise<string> {
  const { newIds } = await generate(model, tokenizer.encode(LR_RACE.samplePrompt), { maxNewTokens: LR_RACE.sampleTokens, temperature: 0, eosTokenId: tokenizer.eosId });
  return tokenizer.decode(newIds.filter((id) => id !== tokenizer.eosId));
}

async function main() {
  await useNodeBackend('wasm');
  const { config, weights, tokenizer } = readModelFiles('public/models/glass-llama');
  if (!tokenizer) throw new Error('the shipped model has no tokenizer.json');
  const trainTexts = drawTexts(readCorpusTexts('notes', 'train'), LR_RACE.trainNotes, LR_RACE.seed);
  const heldOutTexts = drawTexts(readCorpusTexts('notes', 'validation'), LR_RACE.heldOutNotes, LR_RACE.seed);
  const train = noteExamples(tokenizer, trainTexts);
  const heldOut = noteExamples(tokenizer, heldOutTexts);
  const shipped = LlamaModel.fromWeights(config, weights);
  const sessions = new Sessions(() => shipped);
  const file: LrRaceFile = {
    source: 'scripts/lr-race.ts on the wasm backend in Node',
    trainTexts,
    heldOutTexts,
    settings: LR_RACE,
    heldOutBefore: heldOutLoss(shipped, heldOut),
    sampleBefore: await sampleOf(shipped, tokenizer),
    runs: [],
  };
  const reuseAt = process.argv.indexOf('--reuse');
  const reused = new Map<number, LrRaceFile['runs'][number]>();
  if (reuseAt >= 0) {
    for (const line of readFileSync(process.argv[reuseAt + 1], 'utf8').split('\n')) {
      if (!line.startsWith('{"learningRate"')) continue;
      const run = JSON.parse(line) as LrRaceFile['runs'][number];
      reused.set(run.learningRate, run);
    }
  }
  for (const learningRate of LR_RACE.learningRates) {
    const earlier = reused.get(learningRate);
    if (earlier) {
      console.log(JSON.stringify(earlier));
      file.runs.push(earlier);
      continue;
    }
    const name = `race-${learningRate}`;
    sessions.fork(name);
    const result = await sessions.trainSteps(
      {
        session: name,
        examples: train,
        batchSize: LR_RACE.batchSize,
        seqLength: LR_RACE.seqLength,
        seed: LR_RACE.seed,
        steps: LR_RACE.steps,
        schedule: lrRaceSchedule(learningRate),
        maxGradNorm: LR_RACE.maxGradNorm,
      },
      { progress: () => undefined, cancelled: () => false, step: async () => true, cancelReadAfter: () => undefined },
    );
    const model = sessions.model(name);
    const run = { learningRate, losses: result.losses.map((loss) => Number(loss.toFixed(5))), heldOutAfter: heldOutLoss(model, heldOut), sample: await sampleOf(model, tokenizer) };
    console.log(JSON.stringify(run));
    file.runs.push(run);
    sessions.drop(name);
  }
  mkdirSync(dirname(join('public', LR_RACE_URL_PATH)), { recursive: true });
  writeFileSync(join('public', LR_RACE_URL_PATH), JSON.stringify(file, null, 1) + '\n');
  shipped.dispose();
}

if (process.argv[1]?.endsWith('lr-race.ts')) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

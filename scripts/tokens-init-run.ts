/**
 * Writes public/data/tokens-init-run.json: the tokens chapter's initialisation experiment run
 * once in Node (wasm backend), for readers whose device is too slow to train in the page
 * (components/TokensInitExperiment.ts shows it until the reader runs their own).
 *
 *   npm run tokens-init-run            (all three initialisations, 20 new pieces)
 *
 * It drives the same code the page's worker drives: Sessions.fork via extendVocabularyOf, then
 * Sessions.trainSteps and the held-out loss (evaluateLoss on PackedCorpus.evaluationBatches),
 * with the settings in src/chapters/tokens.ts INIT_EXPERIMENT.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { INIT_EXPERIMENT, initExperimentData, type InitRun, type TokensInitRunFile } from '../src/chapters/tokens';
import { evaluateLoss, PackedCorpus } from '../src/llama/train';
import { NEW_ROW_INITS } from '../src/llama/vocabExtend';
import { Sessions } from '../src/runtime/sessions';
import { extendVocabularyOf } from '../src/runtime/tokensOps';
import { loadModel, useNodeBackend } from './load-model';

export const TOKENS_INIT_RUN_PATH = join('public', 'data', 'tokens-init-run.json');

async function main() {
  const backend = await useNodeBackend('wasm');
  const { model, tokenizer } = loadModel('public/models/glass-llama');
  if (!tokenizer) throw new Error('the shipped model has no tokenizer.json');
  const sessions = new Sessions(() => model);
  const data = initExperimentData(tokenizer, INIT_EXPERIMENT.defaultPieces);
  const heldOutLoss = (name: string) =>
    evaluateLoss(sessions.model(name), new PackedCorpus(data.heldOut).evaluationBatches(data.heldOut.length, INIT_EXPERIMENT.heldOutSeqLength, data.heldOut.length));
  const runs: InitRun[] = [];
  for (const init of NEW_ROW_INITS) {
    const name = `init-${init}`;
    extendVocabularyOf(sessions, { name, byteIds: data.byteIds, init, seed: INIT_EXPERIMENT.initSeed });
    const heldOutBefore = heldOutLoss(name);
    const { batchSize, seqLength, seed, steps, schedule, maxGradNorm } = INIT_EXPERIMENT;
    const result = await sessions.trainSteps(
      { session: name, examples: data.train, batchSize, seqLength, seed, steps, schedule: { ...schedule }, maxGradNorm },
      { progress: () => {}, cancelled: () => false, step: async () => true, cancelReadAfter: () => undefined },
    );
    runs.push({ init, losses: result.losses.map((loss) => Number(loss.toFixed(4))), heldOutBefore: Number(heldOutBefore.toFixed(4)), heldOutAfter: Number(heldOutLoss(name).toFixed(4)) });
    sessions.drop(name);
    console.log(init, runs.at(-1));
  }
  const file: TokensInitRunFile = {
    source: `npm run tokens-init-run: Node ${process.version}, tfjs ${backend.name} backend`,
    pieceCount: data.pieces.length,
    pieces: data.pieces,
    runs,
  };
  mkdirSync(dirname(TOKENS_INIT_RUN_PATH), { recursive: true });
  writeFileSync(TOKENS_INIT_RUN_PATH, JSON.stringify(file, null, 1) + '\n');
  model.dispose();
}

if (process.argv[1]?.endsWith('tokens-init-run.ts')) await main();

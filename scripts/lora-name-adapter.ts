/**
 * Writes public/data/lora-name-adapter/ (adapter_config.json, adapter_model.safetensors): the LoRA
 * lab's default run (src/chapters/lora.ts NAME_TASK: r 4, alpha 8, every attention projection,
 * 30 steps teaching the name "Zelda") trained once in Node on the wasm backend, so the update
 * inspector (components/LoraUpdateInspector.ts) has a trained adapter without training in the page.
 *
 *   npm run lora-name-adapter
 *
 * It drives the code the page's worker drives (Sessions.fork, attachLora, trainSteps, saveAdapter).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NAME_TASK, nameTaskExamples, nameTaskSchedule } from '../src/chapters/lora';
import type { AdapterFiles } from '../src/llama/lora';
import type { Tokenizer } from '../src/llama/tokenizer';
import { Sessions, type StepContext } from '../src/runtime/sessions';
import type { TrainProgress, TrainResult } from '../src/runtime/messages';
import { loadModel, useNodeBackend } from './load-model';

export const LORA_NAME_ADAPTER_DIR = join('public', 'data', 'lora-name-adapter');

const NO_CANCEL: StepContext<TrainProgress> = { progress: () => {}, cancelled: () => false, step: async () => true, cancelReadAfter: () => undefined };

/** Forks `session` from the shipped model, attaches the lab's default adapter and trains it for `steps` steps. */
export async function trainNameAdapter(sessions: Sessions, tokenizer: Tokenizer, session: string, steps: number = NAME_TASK.defaultSteps): Promise<TrainResult> {
  sessions.fork(session);
  sessions.attachLora({ session, config: { r: NAME_TASK.r, lora_alpha: NAME_TASK.alpha, target_modules: [...NAME_TASK.modules] }, seed: NAME_TASK.initSeed });
  const { batchSize, seqLength, seed, maxGradNorm } = NAME_TASK;
  return sessions.trainSteps({ session, examples: nameTaskExamples(tokenizer), batchSize, seqLength, seed, steps, schedule: nameTaskSchedule(steps), maxGradNorm }, NO_CANCEL);
}

async function main() {
  await useNodeBackend('wasm');
  const { model, tokenizer } = loadModel('public/models/glass-llama');
  if (!tokenizer) throw new Error('the shipped model has no tokenizer.json');
  const sessions = new Sessions(() => model);
  const result = await trainNameAdapter(sessions, tokenizer, 'name');
  console.log('losses', result.losses.map((loss) => loss.toFixed(3)).join(' '));
  const files: AdapterFiles = sessions.saveAdapter({ session: 'name' });
  mkdirSync(LORA_NAME_ADAPTER_DIR, { recursive: true });
  writeFileSync(join(LORA_NAME_ADAPTER_DIR, 'adapter_config.json'), files['adapter_config.json'] + '\n');
  writeFileSync(join(LORA_NAME_ADAPTER_DIR, 'adapter_model.safetensors'), files['adapter_model.safetensors']);
  sessions.dropAll();
  model.dispose();
}

if (process.argv[1]?.endsWith('lora-name-adapter.ts')) await main();

/**
 * Fine-tunes the shipped Glass Llama on one of the corpus generator's other sets and writes what
 * the training and LoRA chapters show:
 *
 *   npm run train -- --finetune notes --lora 8,16,q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj
 *   npm run train -- --finetune chat  --lora 16,32,...       SFT: the prompt is masked out of the loss
 *   npm run train -- --finetune chat                          a full fine-tune (every weight trains)
 *   (the exact commands of the shipped fine-tunes are in their training-log.json and the model card)
 *   options: --name NAME --steps N --lr X --warmup N --batch N --seq N --seed N --eval-every N
 *            --eval-rows N --clip X --weight-decay X --log-every N
 *
 * A LoRA run writes public/models/glass-llama/adapters/<name>/ (adapter_model.safetensors and
 * adapter_config.json as PEFT writes them, training-log.json); a full fine-tune writes
 * public/models/glass-llama/runs/<name>/ (training-log.json, and config.json + an F16
 * model.safetensors when the weights fit MAX_SHIPPED_WEIGHT_BYTES).
 *
 * The log holds the options, every step's loss, and the evaluation losses on the stories (what
 * the model knew: does it forget?) and on the new data (does it learn?) before, during and after.
 * One process, one thread: the fine-tunes are short, and the machine is shared.
 *
 * Needs `npm run corpus` first (data/notes, data/chat, data/stories).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { configToJSON } from '../src/llama/config';
import { generate } from '../src/llama/generate';
import { LoraAdapter, saveAdapter } from '../src/llama/lora';
import { LORA_TARGET_MODULES, parseLoraConfig, type LoraConfig, type LoraTargetModule } from '../src/llama/loraConfig';
import { LlamaModel } from '../src/llama/model';
import { writeSafetensors } from '../src/llama/safetensors';
import type { Tokenizer } from '../src/llama/tokenizer';
import { AdamW, evaluateLoss, learningRateAt, PackedCorpus, trainStep, type Batch, type LearningRateSchedule } from '../src/llama/train';
import { useFastWasmEmbeddingGradient, useFastWasmMatMul } from '../src/llama/wasmKernels';
import { readModelFiles, useNodeBackend } from './load-model';
import { chatKind, chatReplyCorrect, corpusExamples, FINETUNE_EVAL_SETS, type ChatKind, type FinetuneData } from './finetuneData';

const MODEL_DIR = 'public/models/glass-llama';
/** A full fine-tune's weights are shipped only under this size (F16 bytes). */
export const MAX_SHIPPED_WEIGHT_BYTES = 2.5e6;

export interface FinetuneOptions {
  data: FinetuneData;
  /** null: a full fine-tune (every parameter trains). */
  lora: LoraConfig | null;
  name: string;
  seqLength: number;
  batchSize: number;
  steps: number;
  peakLearningRate: number;
  warmupSteps: number;
  finalFraction: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  logEvery: number;
  evalEvery: number;
  evalRows: number;
}

export const FINETUNE_DEFAULTS: Omit<FinetuneOptions, 'data' | 'lora' | 'name'> = {
  // 256: a chat pair that asks about a story (about 200 tokens) fits one row with its answer.
  seqLength: 256,
  batchSize: 4,
  steps: 150,
  peakLearningRate: 3e-3,
  warmupSteps: 20,
  finalFraction: 0.1,
  weightDecay: 0,
  maxGradNorm: 1,
  seed: 7,
  logEvery: 1,
  evalEvery: 25,
  evalRows: 32,
};

/** "8,16,q_proj,v_proj" -> { r: 8, lora_alpha: 16, target_modules: ['q_proj', 'v_proj'] } ("all" = every module). */
export function parseLoraFlag(value: string): LoraConfig {
  const [r, alpha, ...modules] = value.split(',').map((part) => part.trim());
  const targets = modules.length === 0 || (modules.length === 1 && modules[0] === 'all') ? [...LORA_TARGET_MODULES] : (modules as LoraTargetModule[]);
  return parseLoraConfig({ r: Number(r), lora_alpha: Number(alpha), target_modules: targets });
}

/** The fixed prompts whose greedy continuations the log records before and after. */
export function samplePrompts(data: FinetuneData): string[] {
  if (data === 'notes') return ['Weather for Monday in', 'How to make', 'Once upon a time'];
  return [
    '[INST] What sound does a cow make? [/INST]',
    '[INST] What does a cat like to eat? [/INST]',
    '[INST] Give me a name for a girl. [/INST]',
    '[INST] Write one sentence about a red apple and a cake. [/INST]',
    'Once upon a time',
  ];
}

export interface FinetuneEntry {
  step: number;
  trainLoss: number;
  learningRate: number;
  gradNorm: number;
  tokensSeen: number;
  elapsedSeconds: number;
  /** Every evalEvery steps: loss on each evaluation set (nats per counted token). */
  evalLosses?: Record<string, number>;
}

export interface FinetuneLog {
  kind: 'lora' | 'full';
  options: FinetuneOptions;
  command: string;
  baseModel: { path: string; sha256: string };
  trainableParameters: number;
  baseParameters: number;
  corpusTokens: { train: number; trainCounted: number };
  /** How each evaluation set is built: PackedCorpus.evaluationBatches(batchSize, seqLength, rows) on that split. */
  evaluation: { sets: Record<string, { set: FinetuneData | 'stories'; split: 'validation'; rows: number; seqLength: number; batchSize: number }> };
  evalBefore: Record<string, number>;
  evalAfter: Record<string, number>;
  samples: { prompt: string; before: string; after: string }[];
  /** Chat runs: greedy replies to every pair of the chat test split, scored by chatReplyCorrect, per kind. */
  chatTest?: { pairs: number; maxNewTokens: number; before: Record<ChatKind, [number, number]>; after: Record<ChatKind, [number, number]> };
  entries: FinetuneEntry[];
  machine: { cpus: string; cores: number; node: string; backend: string; note: string };
  wallSeconds: number;
  /** Full fine-tune: whether model.safetensors was shipped, and why not if not. */
  weightsShipped?: boolean | string;
}

async function greedyReply(model: LlamaModel, tokenizer: Tokenizer, prompt: string, maxNewTokens: number): Promise<string> {
  const promptIds = tokenizer.encode(prompt);
  const { newIds } = await generate(model, promptIds, { maxNewTokens, temperature: 0, eosTokenId: tokenizer.eosId });
  return tokenizer.decode(newIds.filter((id) => id !== tokenizer.eosId));
}

/** The chat test pairs whose greedy replies are scored (the first CHAT_TEST_PAIRS of the test split). */
export const CHAT_TEST_PAIRS = 30;

function readChatTest(): { prompt: string; response: string }[] {
  return readFileSync(join('data', 'chat', 'test.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, CHAT_TEST_PAIRS)
    .map((line) => JSON.parse(line) as { prompt: string; response: string });
}

/** [correct, total] per kind of the greedy replies to the chat test pairs. */
async function scoreChatTest(model: LlamaModel, tokenizer: Tokenizer, pairs: { prompt: string; response: string }[], maxNewTokens: number) {
  const score = { sound: [0, 0], food: [0, 0], who: [0, 0], name: [0, 0], sentence: [0, 0] } as Record<ChatKind, [number, number]>;
  for (const { prompt, response } of pairs) {
    const reply = await greedyReply(model, tokenizer, prompt, maxNewTokens);
    const tally = score[chatKind(prompt)];
    tally[1]++;
    if (chatReplyCorrect(prompt, response, reply)) tally[0]++;
  }
  return score;
}

function evaluateAll(model: LlamaModel, sets: Record<string, Batch[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(sets).map(([name, batches]) => [name, Number(evaluateLoss(model, batches).toFixed(6))]));
}

export async function finetune(options: FinetuneOptions, command: string): Promise<FinetuneLog> {
  await useNodeBackend('wasm');
  useFastWasmMatMul();
  useFastWasmEmbeddingGradient();
  const started = performance.now();
  const { config, weights, tokenizer } = readModelFiles(MODEL_DIR);
  if (!tokenizer) throw new Error(`${MODEL_DIR} has no tokenizer.json`);
  const train = new PackedCorpus(corpusExamples(tokenizer, options.data, 'train'));
  const evalSets: Record<string, Batch[]> = {};
  const evaluation: FinetuneLog['evaluation'] = { sets: {} };
  for (const set of FINETUNE_EVAL_SETS) {
    evalSets[set] = new PackedCorpus(corpusExamples(tokenizer, set, 'validation')).evaluationBatches(options.batchSize, options.seqLength, options.evalRows);
    evaluation.sets[set] = { set, split: 'validation', rows: options.evalRows, seqLength: options.seqLength, batchSize: options.batchSize };
  }

  const full = options.lora === null;
  const model = LlamaModel.fromWeights(config, weights, { trainable: full });
  const adapter = options.lora ? LoraAdapter.init(config, options.lora, options.seed, { trainable: true }) : null;
  if (adapter) model.attachAdapter(adapter);
  const trained = model.trainableParams();
  const count = (map: Map<string, tf.Tensor>) => [...map.values()].reduce((sum, t) => sum + t.size, 0);

  const prompts = samplePrompts(options.data);
  const before = [];
  for (const prompt of prompts) before.push(await greedyReply(model, tokenizer, prompt, 40));
  const evalBefore = evaluateAll(model, evalSets);
  const chatPairs = options.data === 'chat' ? readChatTest() : [];
  const chatMaxNewTokens = 28;
  const chatBefore = options.data === 'chat' ? await scoreChatTest(model, tokenizer, chatPairs, chatMaxNewTokens) : null;
  if (chatBefore) console.log('chat test before', JSON.stringify(chatBefore));
  console.log('before', JSON.stringify(evalBefore));

  const optimizer = new AdamW(trained, { weightDecay: options.weightDecay });
  const schedule: LearningRateSchedule = {
    peakLearningRate: options.peakLearningRate,
    warmupSteps: options.warmupSteps,
    totalSteps: options.steps,
    finalFraction: options.finalFraction,
  };
  const entries: FinetuneEntry[] = [];
  const runStart = performance.now();
  let tokensSeen = 0;
  for (let step = 0; step < options.steps; step++) {
    const learningRate = learningRateAt(step, schedule);
    const batch = train.randomBatch(options.batchSize, options.seqLength, options.seed, step);
    const result = trainStep(model, optimizer, batch, { learningRate, maxGradNorm: options.maxGradNorm, embeddingLookup: 'gather' });
    tokensSeen += options.batchSize * options.seqLength;
    const done = step + 1;
    if (step % options.logEvery === 0 || done === options.steps) {
      const entry: FinetuneEntry = {
        step,
        trainLoss: Number(result.loss.toFixed(6)),
        learningRate,
        gradNorm: Number(result.globalNorm.toFixed(6)),
        tokensSeen,
        elapsedSeconds: Math.round((performance.now() - runStart) / 1000),
      };
      if (done % options.evalEvery === 0 && done !== options.steps) entry.evalLosses = evaluateAll(model, evalSets);
      entries.push(entry);
      if (entry.evalLosses || step % 10 === 0) console.log(JSON.stringify(entry));
    }
  }
  const evalAfter = evaluateAll(model, evalSets);
  entries[entries.length - 1].evalLosses = evalAfter;
  console.log('after', JSON.stringify(evalAfter));
  const samples = [];
  for (const [i, prompt] of prompts.entries()) samples.push({ prompt, before: before[i], after: await greedyReply(model, tokenizer, prompt, 40) });

  const chatAfter = options.data === 'chat' ? await scoreChatTest(model, tokenizer, chatPairs, chatMaxNewTokens) : null;
  if (chatAfter) console.log('chat test after', JSON.stringify(chatAfter));

  const modelBytes = readFileSync(join(MODEL_DIR, 'model.safetensors'));
  const log: FinetuneLog = {
    kind: full ? 'full' : 'lora',
    options,
    command,
    baseModel: { path: `${MODEL_DIR}/model.safetensors`, sha256: createHash('sha256').update(modelBytes).digest('hex') },
    trainableParameters: count(trained),
    baseParameters: count(model.params),
    corpusTokens: { train: train.tokenCount, trainCounted: train.lossMask.reduce((a, b) => a + b, 0) },
    evaluation,
    evalBefore,
    evalAfter,
    samples,
    ...(chatBefore && chatAfter ? { chatTest: { pairs: chatPairs.length, maxNewTokens: chatMaxNewTokens, before: chatBefore, after: chatAfter } } : {}),
    entries,
    machine: {
      cpus: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      node: process.version,
      backend: 'tfjs-backend-wasm (SIMD), one thread',
      note: 'Run with nice on a 2-core machine shared with other jobs: step times are wall-clock and slower than an idle machine.',
    },
    wallSeconds: Math.round((performance.now() - started) / 1000),
  };

  if (adapter) {
    const dir = join(MODEL_DIR, 'adapters', options.name);
    mkdirSync(dir, { recursive: true });
    const files = saveAdapter(adapter);
    writeFileSync(join(dir, 'adapter_model.safetensors'), files['adapter_model.safetensors']);
    writeFileSync(join(dir, 'adapter_config.json'), files['adapter_config.json'] + '\n');
    writeFileSync(join(dir, 'training-log.json'), JSON.stringify(log, null, 1) + '\n');
    console.log(`wrote ${dir}`);
  } else {
    const dir = join(MODEL_DIR, 'runs', options.name);
    mkdirSync(dir, { recursive: true });
    const bytes = writeSafetensors(model.toWeightMap(), { dtype: 'F16', metadata: { format: 'pt', source: 'glass-llama scripts/finetune.ts' } });
    if (bytes.length <= MAX_SHIPPED_WEIGHT_BYTES) {
      writeFileSync(join(dir, 'model.safetensors'), bytes);
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...configToJSON(config), torch_dtype: 'float16' }, null, 2) + '\n');
      log.weightsShipped = true;
    } else {
      log.weightsShipped = `not shipped: ${bytes.length} bytes is over the ${MAX_SHIPPED_WEIGHT_BYTES} budget`;
    }
    writeFileSync(join(dir, 'training-log.json'), JSON.stringify(log, null, 1) + '\n');
    console.log(`wrote ${dir}`);
  }
  updateModelCard();
  adapter?.dispose();
  model.dispose();
  optimizer.dispose();
  return log;
}

/** Reads `--finetune DATA [--lora r,alpha,modules] [--name N] [--steps N] ...` (train.ts hands these over). */
export function parseFinetuneArgs(argv: string[]): FinetuneOptions {
  const options: FinetuneOptions = { ...FINETUNE_DEFAULTS, data: 'notes', lora: null, name: '' };
  const numeric: Record<string, keyof typeof FINETUNE_DEFAULTS> = {
    '--seq': 'seqLength', '--batch': 'batchSize', '--steps': 'steps', '--lr': 'peakLearningRate', '--warmup': 'warmupSteps',
    '--final-fraction': 'finalFraction', '--weight-decay': 'weightDecay', '--clip': 'maxGradNorm', '--seed': 'seed',
    '--log-every': 'logEvery', '--eval-every': 'evalEvery', '--eval-rows': 'evalRows',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`train --finetune: ${flag} needs a value`);
    if (flag === '--finetune') {
      if (value !== 'notes' && value !== 'chat') throw new Error(`train --finetune: received "${value}", expected notes or chat`);
      options.data = value;
    } else if (flag === '--lora') options.lora = parseLoraFlag(value);
    else if (flag === '--name') options.name = value;
    else if (numeric[flag]) {
      const number = Number(value);
      if (!Number.isFinite(number)) throw new Error(`train --finetune: ${flag} received "${value}", expected a number`);
      options[numeric[flag]] = number;
    } else throw new Error(`train --finetune: unknown flag ${flag}. Expected --lora r,alpha,modules, --name, ${Object.keys(numeric).join(', ')}`);
  }
  if (!options.name) options.name = `${options.data === 'chat' ? 'chat-sft' : 'notes'}-${options.lora ? 'lora' : 'full'}`;
  if (!/^[a-z0-9-]+$/.test(options.name)) throw new Error(`train --finetune: --name "${options.name}" must be lower-case letters, digits and dashes`);
  return options;
}

const CARD_HEADING = '## Fine-tunes';

/** Bytes of AdamW's state for `trained` values: a first and a second moment, F32 each (src/llama/train.ts). */
export function optimizerStateBytes(trained: number): number {
  return trained * 2 * 4;
}

function formatLosses(log: FinetuneLog): string {
  return FINETUNE_EVAL_SETS.map((set) => `${set} ${log.evalBefore[set].toFixed(3)} → ${log.evalAfter[set].toFixed(3)}`).join(', ');
}

function formatChatTest(score: Record<ChatKind, [number, number]>): string {
  const kinds = Object.keys(score) as ChatKind[];
  const right = kinds.reduce((sum, kind) => sum + score[kind][0], 0);
  const total = kinds.reduce((sum, kind) => sum + score[kind][1], 0);
  return `${right}/${total} (${kinds.map((kind) => `${kind} ${score[kind][0]}/${score[kind][1]}`).join(', ')})`;
}

/**
 * The model card's "Fine-tunes" section, from the logs of the shipped fine-tunes (adapters/*
 * and runs/* with a training-log.json written by this script).
 */
export function finetuneCardSection(dir = MODEL_DIR): string {
  const logs: { folder: string; log: FinetuneLog }[] = [];
  for (const parent of ['adapters', 'runs']) {
    const base = join(dir, parent);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const path = join(base, name, 'training-log.json');
      if (existsSync(path)) logs.push({ folder: `${parent}/${name}`, log: JSON.parse(readFileSync(path, 'utf8')) as FinetuneLog });
    }
  }
  if (logs.length === 0) return '';
  const parts = [
    `${CARD_HEADING}\n`,
    'Fine-tunes of this model on the corpus generator\'s other sets (`npm run corpus`): the notes (weather reports and recipes, a domain the stories never had) and the chat pairs (`[INST] … [/INST]` prompts, the prompt masked out of the loss). LoRA adapters are PEFT files (`adapter_config.json`, `adapter_model.safetensors`, F32); the full fine-tune updates every weight. Each folder has a `training-log.json` with the options, the loss of every step and the evaluation losses (nats per counted token) on the validation splits of the stories (forgetting), the notes and the chat answers, before and after.\n',
  ];
  for (const { folder, log } of logs) {
    const o = log.options;
    const what = log.kind === 'lora' ? `LoRA r = ${o.lora!.r}, alpha = ${o.lora!.lora_alpha} on ${o.lora!.target_modules.join(', ')}` : 'full fine-tune (every weight)';
    const rows: [string, string][] = [
      ['data', o.data === 'chat' ? 'chat pairs (SFT: prompt masked)' : 'notes (every token counted)'],
      ['what trains', `${what}: ${log.trainableParameters.toLocaleString('en-US')} of ${log.baseParameters.toLocaleString('en-US')} parameters`],
      ['steps', `${o.steps} × ${o.batchSize} rows × ${o.seqLength} tokens, AdamW (weight decay ${o.weightDecay}), peak learning rate ${o.peakLearningRate}, ${o.warmupSteps} warmup steps, cosine to ${o.finalFraction} of peak, clipping ${o.maxGradNorm}`],
      ['AdamW state', `${optimizerStateBytes(log.trainableParameters).toLocaleString('en-US')} bytes (m and v, F32, for each trained value)`],
      ['held-out loss before → after', formatLosses(log)],
      ['wall time', `${(log.wallSeconds / 60).toFixed(1)} min (${log.machine.note})`],
    ];
    if (log.chatTest) {
      rows.push([`chat test replies right (first ${log.chatTest.pairs} test pairs, greedy)`, `before ${formatChatTest(log.chatTest.before)}; after ${formatChatTest(log.chatTest.after)}`]);
    }
    if (log.weightsShipped !== undefined) rows.push(['weights', log.weightsShipped === true ? 'model.safetensors (F16) and config.json shipped' : String(log.weightsShipped)]);
    parts.push(`### ${folder}\n\n| | |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v.replaceAll('|', '\\|')} |`).join('\n')}\n`);
    parts.push(`Greedy samples, before → after:\n\n${log.samples.map((s) => `- \`${s.prompt}\`: “${s.before.trim()}” → “${s.after.trim()}”`).join('\n')}\n`);
    parts.push(`Reproduce: \`${log.command}\`\n`);
  }
  const lora = logs.find((l) => l.folder === 'adapters/chat-sft-lora');
  const full = logs.find((l) => l.folder === 'runs/chat-sft-full');
  if (lora && full) parts.push(compareSection(lora.log, full.log));
  return '\n' + parts.join('\n');
}

function chatRight(score: Record<ChatKind, [number, number]>): string {
  const kinds = Object.keys(score) as ChatKind[];
  return `${kinds.reduce((sum, kind) => sum + score[kind][0], 0)}/${kinds.reduce((sum, kind) => sum + score[kind][1], 0)}`;
}

/** The chat SFT done two ways, side by side: the adapter and the full fine-tune. */
function compareSection(lora: FinetuneLog, full: FinetuneLog): string {
  const rows: [string, string, string][] = [
    ['trained values', lora.trainableParameters.toLocaleString('en-US'), full.trainableParameters.toLocaleString('en-US')],
    ['AdamW state (bytes)', optimizerStateBytes(lora.trainableParameters).toLocaleString('en-US'), optimizerStateBytes(full.trainableParameters).toLocaleString('en-US')],
    ['peak learning rate', String(lora.options.peakLearningRate), String(full.options.peakLearningRate)],
    ['steps', String(lora.options.steps), String(full.options.steps)],
    ['held-out chat loss after', lora.evalAfter.chat.toFixed(3), full.evalAfter.chat.toFixed(3)],
    ['held-out stories loss after (before: ' + lora.evalBefore.stories.toFixed(3) + ')', lora.evalAfter.stories.toFixed(3), full.evalAfter.stories.toFixed(3)],
    ['chat test replies right after', lora.chatTest ? chatRight(lora.chatTest.after) : '-', full.chatTest ? chatRight(full.chatTest.after) : '-'],
  ];
  return `### Chat SFT: adapter against full fine-tune\n\nThe same chat data, steps and batches (seed ${lora.options.seed}); only what trains and the learning rate differ.\n\n| | adapters/chat-sft-lora | runs/chat-sft-full |\n|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`;
}

/** Rewrites the model card's Fine-tunes section (everything from its heading on) from the logs. */
export function updateModelCard(dir = MODEL_DIR): void {
  const path = join(dir, 'README.md');
  const card = readFileSync(path, 'utf8');
  const at = card.indexOf(`\n${CARD_HEADING}\n`);
  const head = (at >= 0 ? card.slice(0, at) : card).trimEnd() + '\n';
  writeFileSync(path, head + finetuneCardSection(dir));
}

/**
 * Evaluates the shipped model in public/models/glass-llama/ and writes its model card (README.md):
 *
 *   - validation loss of the model, and of a bigram model fitted on the training split
 *   - name recall: on held-out stories, is the model's top-1 guess for the second mention of a
 *     character's name right? (the name can only be known by copying it from earlier)
 *   - sample generations at temperature 0 and 0.8
 *
 *   npm run eval                    evaluate the shipped model and check it: every figure equals the
 *                                   one eval.json publishes, the model beats the bigram, name recall
 *                                   meets its target, greedy text uses corpus words only; and every
 *                                   shipped fine-tune gives the figures its training log publishes
 *                                   (scripts/finetuneEval.ts); exits 1 if not
 *   npm run eval -- --write         evaluate and write eval.json and the model card (README.md)
 *   npm run eval -- --checkpoint    the numbers for checkpoints/glass-llama, while training runs
 *
 * scripts/train.ts calls writeModelCard() when training ends. These checks used to run in the unit
 * tests (minutes of CPU on every `npm test`); tests/unit/shipped-model.test.ts now asserts the
 * published figures in eval.json and the model card against each other and against the targets.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path, { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { parseConfig, type LlamaConfig } from '../src/llama/config';
import { generate } from '../src/llama/generate';
import { LlamaModel } from '../src/llama/model';
import { readSafetensors } from '../src/llama/safetensors';
import { layerTap } from '../src/llama/taps';
import { SPACE_MARK, Tokenizer } from '../src/llama/tokenizer';
import { evaluateLoss, PackedCorpus, type Batch } from '../src/llama/train';
import { generateSet } from './corpus';
import { checkShippedFinetunes } from './finetuneEval';
import { readModelFiles } from './load-model';
import { BOY_NAMES, GIRL_NAMES } from './corpus/words';

export const MODEL_DIR = 'public/models/glass-llama';

export interface ShippedModel {
  config: LlamaConfig;
  model: LlamaModel;
  tokenizer: Tokenizer;
}

export async function useWasmBackend(): Promise<void> {
  setWasmPaths(path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  await tf.setBackend('wasm');
  await tf.ready();
}

export function loadShippedModel(dir = MODEL_DIR): ShippedModel {
  const { config, weights, tokenizer } = readModelFiles(dir); // the one loader (src/llama/load.ts)
  if (!tokenizer) throw new Error(`${dir} has no tokenizer.json; the evaluation reads text.`);
  return { config, model: LlamaModel.fromWeights(config, weights), tokenizer };
}

/** Story texts of a split, regenerated in memory (the same as data/stories/<split>.jsonl). */
export function storyExamples(split: 'train' | 'validation' | 'test'): { text: string; names: string[] }[] {
  return generateSet('stories')[split] as { text: string; names: string[] }[];
}

export function tokenizeStories(tokenizer: Tokenizer, texts: string[]): { ids: number[] }[] {
  return texts.map((text) => ({ ids: [...tokenizer.encode(text), tokenizer.eosId] }));
}

/**
 * A bigram model: p(next | previous) = (count(previous, next) + alpha) / (count(previous) + alpha V),
 * fitted on the training split. The baseline a Transformer has to beat: it knows which word
 * follows which, but nothing about earlier context (so it cannot copy a name).
 */
export class BigramModel {
  private readonly pairCounts: Float64Array; // [V * V], row = previous token
  private readonly rowTotals: Float64Array; // [V]

  constructor(readonly vocabSize: number, readonly alpha = 0.01) {
    this.pairCounts = new Float64Array(vocabSize * vocabSize);
    this.rowTotals = new Float64Array(vocabSize);
  }

  fit(sequences: ArrayLike<number>[]): this {
    for (const ids of sequences) {
      for (let i = 0; i + 1 < ids.length; i++) {
        this.pairCounts[ids[i] * this.vocabSize + ids[i + 1]]++;
        this.rowTotals[ids[i]]++;
      }
    }
    return this;
  }

  logProb(previous: number, next: number): number {
    const count = this.pairCounts[previous * this.vocabSize + next];
    return Math.log((count + this.alpha) / (this.rowTotals[previous] + this.alpha * this.vocabSize));
  }

  /** Mean cross-entropy over the batch's counted targets, like maskedCrossEntropy. */
  loss(batches: Batch[]): number {
    let sum = 0;
    let counted = 0;
    for (const batch of batches) {
      batch.inputs.forEach((row, b) =>
        row.forEach((previous, t) => {
          if (!batch.lossMask[b][t]) return;
          sum -= this.logProb(previous, batch.targets[b][t]);
          counted++;
        }),
      );
    }
    return sum / counted;
  }
}

/** The fixed validation rows used for the model card and the tests. */
export function validationBatches(tokenizer: Tokenizer, seqLength: number, rows = 48): Batch[] {
  const texts = storyExamples('validation').map((example) => example.text);
  return new PackedCorpus(tokenizeStories(tokenizer, texts)).evaluationBatches(8, seqLength, rows);
}

export function fitBigram(tokenizer: Tokenizer): BigramModel {
  const texts = storyExamples('train').map((example) => example.text);
  return new BigramModel(tokenizer.vocabSize).fit(tokenizeStories(tokenizer, texts).map((example) => example.ids));
}

/**
 * Start offset, in the text, of every token of `tokenizer.encode(text)` (BOS = -1). The encoded
 * text is "▁" + text, so a piece's first character sits one place later than in `text`.
 * Byte tokens count one byte each, which is right for the ASCII stories this is used on.
 */
export function tokenOffsets(tokenizer: Tokenizer, ids: number[]): number[] {
  const offsets: number[] = [];
  let position = -1; // the dummy-prefix space
  for (const id of ids) {
    if (id === tokenizer.bosId) {
      offsets.push(-1);
      continue;
    }
    offsets.push(position);
    position += tokenizer.isByteToken(id) ? 1 : tokenizer.idToPiece(id).length;
  }
  return offsets;
}

export interface NameRecallCase {
  name: string;
  /** Index of the name's first token in the story's ids. */
  position: number;
  expectedId: number;
  predictedId: number;
  /** The argmax over the first tokens of the pool's names only: which name, given that one comes. */
  predictedNameId: number;
}

/** First token of every pool name as it appears after a space ("▁Tom", "▁T" of "▁T ina"). */
export function nameFirstTokens(tokenizer: Tokenizer): Set<number> {
  return new Set([...GIRL_NAMES, ...BOY_NAMES].map((name) => tokenizer.encode(name, { bos: false })[0]));
}

/**
 * Name recall: for each held-out story and each of its characters, the position where the
 * character's name appears for the second time. The model sees the story up to there (one
 * causal forward pass shows it all prefixes at once) and is right when the argmax of the
 * logits just before that position is the name's first token.
 */
/**
 * How much one head looks back at the name: the mean attention, over the name-recall cases, from
 * the token just before a second mention to the first token of the first mention.
 */
export interface NameLookupHead {
  layer: number;
  head: number;
  attention: number;
}

/** Issue 4's acceptance: top-1 name recall at a character's second mention. */
export const NAME_RECALL_TARGET = 0.7;

export async function nameRecall(
  shipped: ShippedModel,
  stories: { text: string; names: string[] }[],
): Promise<{ accuracy: number; nameChoiceAccuracy: number; cases: NameRecallCase[]; lookupHeads: NameLookupHead[] }> {
  const { model, tokenizer, config } = shipped;
  const candidates = [...nameFirstTokens(tokenizer)];
  const cases: NameRecallCase[] = [];
  const { num_hidden_layers: layers, num_attention_heads: heads } = config;
  const lookup = new Float64Array(layers * heads);
  let lookupCases = 0;
  const probTaps = Array.from({ length: layers }, (_, layer) => layerTap(layer, 'attn.probs'));
  for (const story of stories) {
    const ids = tokenizer.encode(story.text).slice(0, config.max_position_embeddings);
    const offsets = tokenOffsets(tokenizer, ids);
    // The token that starts a mention: "▁Name" starts at the space before it, or at the name
    // itself after a quote mark.
    const tokenAt = (offset: number) => offsets.findIndex((o, i) => (o === offset - 1 && tokenizer.idToPiece(ids[i]).startsWith(SPACE_MARK)) || o === offset);
    const wanted: { name: string; position: number; first: number }[] = [];
    for (const name of story.names) {
      const mentions = [...story.text.matchAll(new RegExp(`\\b${name}\\b`, 'g'))].map((m) => m.index!);
      if (mentions.length < 2) continue;
      const position = tokenAt(mentions[1]);
      if (position > 0) wanted.push({ name, position, first: tokenAt(mentions[0]) });
    }
    if (wanted.length === 0) continue;
    const { logits, taps } = await model.run([ids], { taps: probTaps });
    const vocab = config.vocab_size;
    const n = ids.length;
    for (const { position, first } of wanted) {
      if (first < 0) continue;
      lookupCases++;
      // attention from the token before the second mention to the first mention's first token
      for (let layer = 0; layer < layers; layer++) {
        const probs = taps[probTaps[layer]].data;
        for (let head = 0; head < heads; head++) lookup[layer * heads + head] += probs[(head * n + position - 1) * n + first];
      }
    }
    for (const { name, position } of wanted) {
      const row = logits.data.subarray((position - 1) * vocab, position * vocab);
      let best = 0;
      for (let v = 1; v < vocab; v++) if (row[v] > row[best]) best = v;
      const bestName = candidates.reduce((a, b) => (row[b] > row[a] ? b : a));
      cases.push({ name, position, expectedId: ids[position], predictedId: best, predictedNameId: bestName });
    }
  }
  const fraction = (right: (c: NameRecallCase) => boolean) => cases.filter(right).length / cases.length;
  const lookupHeads = [...lookup]
    .map((total, i) => ({ layer: Math.floor(i / heads), head: i % heads, attention: total / lookupCases }))
    .sort((a, b) => b.attention - a.attention);
  return {
    accuracy: fraction((c) => c.expectedId === c.predictedId),
    nameChoiceAccuracy: fraction((c) => c.expectedId === c.predictedNameId),
    cases,
    lookupHeads,
  };
}

export async function continueText(shipped: ShippedModel, prompt: string, temperature: number, maxNewTokens = 120, seed = 1): Promise<string> {
  const { model, tokenizer } = shipped;
  const promptIds = tokenizer.encode(prompt);
  const result = await generate(model, promptIds, {
    maxNewTokens,
    temperature,
    doSample: temperature > 0,
    seed,
    eosTokenId: tokenizer.eosId,
  });
  return tokenizer.decode(result.ids);
}

/** Whether a sample introduces a character ("named X", "called X") with a name the text already used. */
function reusesNames(sample: string): boolean {
  return [...sample.matchAll(/\b(?:named|called) ([A-Z][a-z]+)/g)].some((m) => sample.slice(0, m.index).includes(m[1]));
}

/** The model card's sentence on data parallelism, from the throughput probe. */
function workersSentence(throughput: { workers: number; secondsPerStep: number }[] | undefined, workers: number): string {
  const one = throughput?.find((r) => r.workers === 1);
  const two = throughput?.find((r) => r.workers === 2);
  const how = 'Data parallelism over two worker threads (each computes the gradient of half the batch, the main thread averages them, every worker applies the same AdamW update; see `scripts/train-worker.ts`)';
  if (!one || !two) return `${how} is available; this run used ${workers} worker(s).`;
  const speedup = one.secondsPerStep / two.secondsPerStep;
  return speedup > 1
    ? `${how} made a step ${speedup.toFixed(2)}x as fast as one worker (less than 2x: exchanging and averaging the gradients, and the AdamW update that every worker repeats, are not split between them), so the run used ${workers} worker(s).`
    : `${how} was slower than one worker in the probe (${speedup.toFixed(2)}x), so the run used ${workers} worker(s).`;
}

/** What the card says when the model has not learned to copy names (the target is 70%). */
const NAME_RECALL_LIMITATION =
  '**Limitation: this model does not copy names yet.** In its training budget it learned the grammar of the stories ' +
  '(validation loss far below the bigram) but not induction: at a name it writes a name that is frequent overall ' +
  '(see the samples), not the character it introduced. The target for this figure is 70%; reaching it needs more ' +
  'training steps than the shared 2-core machine allowed in an hour.';

const SAMPLE_PROMPTS = ['Once upon a time', 'One day, Lily went to the park with her friend', 'Tom had a red ball. Tom'];

function table(rows: [string, string][]): string {
  return ['| | |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
}

export interface Evaluation {
  modelValidationLoss: number;
  bigramValidationLoss: number;
  validationRows: number;
  nameRecall: number;
  /** Top-1 among name tokens only: does the model pick the right name, given that a name comes? */
  nameChoiceAccuracy: number;
  nameRecallCases: number;
  nameRecallStories: number;
  /** Every head, most name-looking first (see NameLookupHead). */
  nameLookupHeads: NameLookupHead[];
  /** Markdown list items: prompt, temperature, text. */
  samples: string[];
}

/** Everything the model card reports, computed on the given model. */
export async function evaluateModel(shipped: ShippedModel): Promise<Evaluation> {
  const { config, tokenizer } = shipped;
  const batches = validationBatches(tokenizer, config.max_position_embeddings);
  const modelValidationLoss = evaluateLoss(shipped.model, batches);
  const bigramValidationLoss = fitBigram(tokenizer).loss(batches);
  const recallStories = storyExamples('test').slice(0, 200);
  const recall = await nameRecall(shipped, recallStories);
  const samples: string[] = [];
  for (const prompt of SAMPLE_PROMPTS) {
    for (const temperature of [0, 0.8]) {
      const label = temperature === 0 ? 'temperature 0' : 'temperature 0.8 (seed 1)';
      samples.push(`- ${label}, prompt "${prompt}":\n\n  > ${await continueText(shipped, prompt, temperature)}`);
    }
  }
  return {
    modelValidationLoss,
    bigramValidationLoss,
    validationRows: batches.reduce((sum, batch) => sum + batch.inputs.length, 0),
    nameRecall: recall.accuracy,
    nameChoiceAccuracy: recall.nameChoiceAccuracy,
    nameRecallCases: recall.cases.length,
    nameRecallStories: recallStories.length,
    nameLookupHeads: recall.lookupHeads.map((h) => ({ ...h, attention: Number(h.attention.toFixed(4)) })),
    samples,
  };
}

/** Evaluates the shipped files and writes README.md (and eval.json) beside them. */
export async function writeModelCard(dir = MODEL_DIR): Promise<void> {
  await useWasmBackend();
  const shipped = loadShippedModel(dir);
  const { config } = shipped;
  const log = JSON.parse(readFileSync(join(dir, 'training-log.json'), 'utf8'));
  const tokenizerJson = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  const tokenCounts = JSON.parse(readFileSync('data/token-counts.json', 'utf8'));
  const evaluation = await evaluateModel(shipped);
  shipped.model.dispose();
  const { samples, ...numbers } = evaluation;
  writeFileSync(join(dir, 'eval.json'), JSON.stringify(numbers, null, 2) + '\n');
  const trainStories = storyExamples('train').length;

  const entries = log.entries as { step: number; trainLoss: number; validationLoss?: number; elapsedSeconds: number }[];
  const last = entries[entries.length - 1];
  const lastValidation = [...entries].reverse().find((e) => e.validationLoss !== undefined);
  const stepsDone = last.step + 1;
  const resumes = (log.resumes ?? []) as { atStep: number; steps: number }[];
  const secondsPerStep = log.wallSeconds / stepsDone;
  const kept = tokenizerJson.pieces.length;
  const llamaVocab = tokenizerJson.source?.vocabSize ?? 32000;
  const throughput = log.throughput?.results as { workers: number; secondsPerStep: number; tokensPerSecond: number }[] | undefined;
  const card = `# Glass Llama (tiny)

A ${(log.parameterCount / 1e6).toFixed(2)}M-parameter Llama trained from scratch in TypeScript (tfjs, wasm backend, in Node) on
generated children's stories, for the Glass Llama notebook. It has the real Llama architecture (RMSNorm, rotary position
embeddings in the rotate_half layout, SwiGLU MLP, grouped-query attention, untied lm_head) and ships in the Hugging Face
layout: \`config.json\` (LlamaConfig), \`model.safetensors\` (F16, HF tensor names), \`tokenizer.json\`.

## Architecture

${table([
  ['hidden_size', String(config.hidden_size)],
  ['intermediate_size (SwiGLU)', String(config.intermediate_size)],
  ['num_hidden_layers', String(config.num_hidden_layers)],
  ['num_attention_heads', String(config.num_attention_heads)],
  ['num_key_value_heads (GQA)', String(config.num_key_value_heads)],
  ['head_dim', String(config.hidden_size / config.num_attention_heads)],
  ['vocab_size', String(config.vocab_size)],
  ['max_position_embeddings (context)', String(config.max_position_embeddings)],
  ['rope_theta', String(config.rope_theta)],
  ['rms_norm_eps', String(config.rms_norm_eps)],
  ['tie_word_embeddings', String(config.tie_word_embeddings)],
  ['parameters', `${log.parameterCount.toLocaleString('en')}`],
  ['weights file', `F16, ${(readFileSync(join(dir, 'model.safetensors')).length / 1e6).toFixed(2)} MB`],
])}

## Tokenizer

The real Llama-2 SentencePiece vocabulary, pruned: ${kept} of Llama-2's ${llamaVocab} pieces are kept
(${((100 * kept) / llamaVocab).toFixed(1)}%): <unk>, <s>, </s>, all 256 byte-fallback tokens <0x00>..<0xFF>, every piece
our corpora use and every intermediate piece merging passes through. On corpus text it gives exactly Llama-2's tokens
(\`llamaIds\` in tokenizer.json maps our ids to Llama-2 ids); any other text still round-trips through byte fallback.

## Data

Generated by \`npm run corpus\` (seeded; split by story, never by line), tokens including one <s> per example:

${table(Object.entries(tokenCounts).filter(([k]) => k !== 'note').map(([set, splits]) => {
  const s = splits as Record<string, number>;
  return [set, `train ${s.train.toLocaleString('en')}, validation ${s.validation.toLocaleString('en')}, test ${s.test.toLocaleString('en')}`];
}))}

Only \`stories\` was used for this pretraining run; \`notes\` (a second domain), \`chat\` (instruction/response pairs in the
Llama-2-chat \`[INST] ... [/INST]\` format, for SFT with the prompt masked out of the loss) and \`chinese\` are there for
later chapters.

## Training

${table([
  ['steps', `${stepsDone}${log.finished ? '' : ` (stopped early, of ${log.options.steps} planned)`}`],
  ['batch', `${log.options.batchSize} rows x ${log.options.seqLength} tokens = ${log.options.batchSize * log.options.seqLength} tokens per step`],
  ['tokens seen', `${(stepsDone * log.options.batchSize * log.options.seqLength).toLocaleString('en')}`],
  ['optimizer', `AdamW (beta1 0.9, beta2 0.95, weight decay ${log.options.weightDecay}, none on RMSNorm weights)`],
  ['learning rate', `linear warmup over ${log.options.warmupSteps} steps to ${log.options.peakLearningRate}, cosine decay to ${log.options.finalFraction} of peak`],
  ['gradient clipping', `global norm ${log.options.maxGradNorm}`],
  ['resumes', resumes.length === 0 ? 'none' : resumes.map((r) => `at step ${r.atStep}, planned length set to ${r.steps} steps`).join('; ') + ' (the shared CPU ran slower than the first measurement; the schedule is a function of the step and the planned length, so each resume continues it with the new length)'],
  ['init', `seed ${log.options.seed}, normal(0, 0.02), norms 1`],
  ['final train loss', last.trainLoss.toFixed(3)],
  ['final validation loss (logged)', lastValidation?.validationLoss?.toFixed(3) ?? 'n/a'],
  ['wall time', `${(log.wallSeconds / 60).toFixed(1)} min (${secondsPerStep.toFixed(2)} s/step)`],
  ['machine', `${log.machine.cores} x ${log.machine.cpus}, Node ${log.machine.node}, ${log.machine.backend}, ${log.options.workers} training worker(s)`],
])}

${log.machine.note}

## Evaluation (\`npm run eval\`)

${table([
  ['validation loss, this model', `${evaluation.modelValidationLoss.toFixed(3)} nats/token (${evaluation.validationRows} rows of ${config.max_position_embeddings} tokens)`],
  ['validation loss, bigram fitted on the training split', `${evaluation.bigramValidationLoss.toFixed(3)} nats/token`],
  ['name recall (top-1 over the whole vocabulary at the second mention of a character)', `${(100 * evaluation.nameRecall).toFixed(1)}% of ${evaluation.nameRecallCases} names in ${evaluation.nameRecallStories} held-out test stories`],
  ['the same positions, top-1 among name tokens only (which name, given that a name comes)', `${(100 * evaluation.nameChoiceAccuracy).toFixed(1)}%`],
])}

Name recall: every story has two characters, whose names are drawn from a pool of ${GIRL_NAMES.length + BOY_NAMES.length} names, so after the first
mention a name cannot be guessed from what is typical; it has to be copied from earlier in the story. The figure counts
the positions where a character's name appears for the second time and checks whether the model's most likely next
token there is the first token of that name. The second figure asks only whether the right name outranks every other
name, which separates copying from the separate question of whether a name comes next at all (after "Tina was a girl.",
the next sentence may as well start with "The sun was shining.").
${evaluation.nameRecall < 0.7 ? `\n${NAME_RECALL_LIMITATION}\n` : ''}

Which heads do the copying: for every head, the mean attention from the token just before a second mention to the
first token of the first mention (over the same cases; 0 to 1, the rest goes elsewhere). The three strongest:

${table(evaluation.nameLookupHeads.slice(0, 3).map((h) => [`layer ${h.layer}, head ${h.head}`, h.attention.toFixed(2)]))}

The attention chapter points readers at the strongest one; \`tests/unit/attention-chapter.test.ts\` checks it there.

## Samples

${samples.join('\n\n')}
${reusesNames(samples[0]) ? `
At temperature 0 the copying shows its other side: where a story brings in a *new* character, the single most likely
name is one the story already has, so greedy text often gives both characters the same name. Sampling (temperature
0.8) draws new names, since the probability is spread over the whole pool.
` : ''}
## Why these dimensions

The whole run had to finish in under an hour on a 2-core machine. Measured step times (batch
${log.options.batchSize} x ${log.options.seqLength}, wasm backend), with \`npm run train -- --probe-throughput 5\`:

${throughput ? table(throughput.map((r) => [`${r.workers} worker(s)`, `${r.secondsPerStep.toFixed(2)} s/step, ${r.tokensPerSecond.toFixed(0)} tokens/s`])) : '(no throughput probe recorded)'}

${log.throughput?.note ?? ''} ${workersSentence(throughput, log.options.workers)} At about ${secondsPerStep.toFixed(1)} s per ${log.options.batchSize * log.options.seqLength}-token step, hidden ${config.hidden_size} with
${config.num_hidden_layers} layers allowed ${stepsDone} steps in the time budget: wide enough for 4 heads of dimension
${config.hidden_size / config.num_attention_heads} (2 key/value heads), deep enough for a later layer to look a name up
(the textbook induction circuit has an earlier layer mark the previous token; this model has no strong
previous-token head, yet its last layer copies names: see eval.json and the attention chapter), and small enough (${(log.parameterCount / 1e6).toFixed(2)}M
parameters, F16 well under 4 MB) to load instantly in the browser. The context of ${config.max_position_embeddings} tokens
holds a whole story (stories average about ${Math.round(tokenCounts.stories.train / trainStories)} tokens).

## Reproduce

${resumes.length ? 'A straight run with the final planned length (the shipped run changed its planned length on resume, see Training):' : 'The command that trained this model:'}

\`\`\`
npm run corpus && npm run tokenizer
npm run train -- --workers ${log.options.workers} --steps ${log.options.steps} --warmup ${log.options.warmupSteps} --log-every ${log.options.logEvery} --eval-every ${log.options.evalEvery} --checkpoint-every ${log.options.checkpointEvery} --max-minutes ${log.options.maxMinutes}
npm run eval
\`\`\`
${log.reproducibility ? `\nReproducibility: ${JSON.stringify(log.reproducibility)}\n` : ''}`;
  writeFileSync(join(dir, 'README.md'), card);
  (await import('./finetune')).updateModelCard(dir);
  console.log(JSON.stringify(numbers));
  if (numbers.nameRecall < NAME_RECALL_TARGET) {
    console.error(`name recall ${(100 * numbers.nameRecall).toFixed(1)}% is below the ${100 * NAME_RECALL_TARGET}% target`);
    process.exitCode = 1;
  }
}

/** `npm run eval -- --checkpoint`: the numbers for the latest checkpoint, while training runs. */
async function evaluateCheckpoint(): Promise<void> {
  await useWasmBackend();
  const log = JSON.parse(readFileSync('checkpoints/glass-llama/training-log.json', 'utf8'));
  const config = parseConfig(log.config);
  const tokenizer = Tokenizer.fromJSON(JSON.parse(readFileSync(join(MODEL_DIR, 'tokenizer.json'), 'utf8')));
  const model = LlamaModel.fromWeights(config, readSafetensors(readFileSync('checkpoints/glass-llama/model.safetensors')));
  const { samples, ...numbers } = await evaluateModel({ config, model, tokenizer });
  model.dispose();
  console.log(JSON.stringify(numbers, null, 2));
  console.log(samples.join('\n'));
}

/** Words of the first 20000 training stories: greedy text from the model should use no other. */
function corpusVocabulary(): Set<string> {
  const vocabulary = new Set<string>();
  for (const { text } of storyExamples('train').slice(0, 20000)) for (const word of text.match(/[A-Za-z']+/g)!) vocabulary.add(word);
  return vocabulary;
}

/** How two published figures may differ: they are printed to 3 decimals (losses) and 4 (attention). */
const FIGURE_TOLERANCE = 5e-4;

/**
 * Evaluates the shipped model and compares it with what eval.json publishes. Returns one line per
 * failed check ([] = the shipped files and their published figures agree).
 */
export async function checkShippedModel(dir = MODEL_DIR): Promise<string[]> {
  await useWasmBackend();
  const stated = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')) as Omit<Evaluation, 'samples'>;
  const shipped = loadShippedModel(dir);
  const failures: string[] = [];
  const fail = (line: string) => {
    failures.push(line);
    console.error(`FAIL ${line}`);
  };
  const pass = (line: string) => console.log(`ok   ${line}`);
  const same = (what: string, measured: number, published: number, tolerance = FIGURE_TOLERANCE) =>
    Math.abs(measured - published) <= tolerance
      ? pass(`${what}: ${measured.toFixed(4)} (eval.json ${published})`)
      : fail(`${what}: measured ${measured}, eval.json states ${published}`);
  try {
    const { config, tokenizer } = shipped;
    const batches = validationBatches(tokenizer, config.max_position_embeddings);
    const before = tf.memory().numTensors;
    const modelLoss = evaluateLoss(shipped.model, batches);
    if (tf.memory().numTensors !== before) fail(`evaluateLoss leaked ${tf.memory().numTensors - before} tensors`);
    const bigramLoss = fitBigram(tokenizer).loss(batches);
    same('validation loss of the model (nats/token)', modelLoss, stated.modelValidationLoss);
    same('validation loss of the bigram (nats/token)', bigramLoss, stated.bigramValidationLoss);
    if (modelLoss < bigramLoss) pass(`the model's validation loss ${modelLoss.toFixed(3)} is below the bigram's ${bigramLoss.toFixed(3)}`);
    else fail(`the model's validation loss ${modelLoss.toFixed(3)} is not below the bigram's ${bigramLoss.toFixed(3)}`);

    const vocabulary = corpusVocabulary();
    const text = await continueText(shipped, 'Once upon a time', 0, 80);
    const words = text.match(/[A-Za-z']+/g) ?? [];
    const unknown = words.filter((word) => !vocabulary.has(word));
    if (text.startsWith('Once upon a time') && words.length > 20 && unknown.length === 0) pass(`greedy "Once upon a time" continues with ${words.length} corpus words`);
    else fail(`greedy "Once upon a time" gave ${words.length} words, not in the corpus: ${JSON.stringify(unknown)}: ${text}`);

    const stories = storyExamples('test').slice(0, 200);
    const { accuracy, nameChoiceAccuracy, cases, lookupHeads } = await nameRecall(shipped, stories);
    if (accuracy >= NAME_RECALL_TARGET) pass(`name recall ${(100 * accuracy).toFixed(1)}% meets the ${100 * NAME_RECALL_TARGET}% target`);
    else fail(`name recall ${(100 * accuracy).toFixed(1)}% is below the ${100 * NAME_RECALL_TARGET}% target`);
    same('name recall', accuracy, stated.nameRecall);
    same('name choice accuracy', nameChoiceAccuracy, stated.nameChoiceAccuracy);
    same('name recall cases', cases.length, stated.nameRecallCases, 0);
    same('name recall stories', stories.length, stated.nameRecallStories, 0);
    lookupHeads.forEach((head, rank) => {
      const published = stated.nameLookupHeads[rank];
      if (published?.layer === head.layer && published.head === head.head) same(`name lookup head ${rank + 1} (layer ${head.layer}, head ${head.head}) attention`, head.attention, published.attention);
      else fail(`name lookup head ${rank + 1} is layer ${head.layer}, head ${head.head}; eval.json states ${JSON.stringify(published)}`);
    });
  } finally {
    shipped.model.dispose();
  }
  return failures;
}

async function checkAndReport(): Promise<void> {
  const failures = await checkShippedModel();
  console.log(failures.length === 0 ? 'The shipped model gives every figure eval.json publishes.' : `${failures.length} check(s) failed.`);
  // The fine-tunes shipped beside it (adapters/, runs/) against their training logs.
  const shipped = loadShippedModel();
  try {
    const finetuneFailures = await checkShippedFinetunes(MODEL_DIR, shipped.model, shipped.tokenizer);
    console.log(finetuneFailures.length === 0 ? 'Every shipped fine-tune gives the figures its training log publishes.' : `${finetuneFailures.length} fine-tune check(s) failed.`);
    failures.push(...finetuneFailures);
  } finally {
    shipped.model.dispose();
  }
  if (failures.length > 0) process.exitCode = 1;
}

if (process.argv[1]?.endsWith('eval.ts')) {
  const run = process.argv.includes('--checkpoint') ? evaluateCheckpoint : process.argv.includes('--write') ? writeModelCard : checkAndReport;
  run().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

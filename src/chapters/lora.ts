/**
 * The arithmetic of the LoRA chapter (content/13-lora.mdx): how many values an adapter trains for
 * a config, a rank and a set of target modules; the memory fine-tuning holds with and without an
 * adapter; the small task the LoRA lab trains (a new name for the stories); and the papers the
 * chapter cites. Page-safe: no worker, no DOM, no tfjs.
 *
 * A LoRA pair on a projection W (out, in) is A (r, in) and B (out, r): r · (in + out) values
 * (Hu et al. 2021, section 4.1). The module names and shapes are PEFT's (src/llama/loraConfig.ts).
 */
import type { LoraTargetModule } from '../llama/loraConfig';
import type { Tokenizer } from '../llama/tokenizer';
import { configHeadDim, countParameters, PARAMETER_PRESETS, type ParameterConfig, type ParameterPreset } from './anatomy';
import type { Citation } from './flops';

export type { LoraTargetModule };

/**
 * The projections an adapter may target, in the engine's order (src/llama/loraConfig.ts
 * LORA_TARGET_MODULES, which pages may not import; a unit test checks the two lists agree).
 */
export const LORA_TARGET_MODULES: readonly LoraTargetModule[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

// ----------------------------------------------------------------------------- parameters

/** [out, in] of a target module's weight for a config (no biases in a Llama); the engine's loraPairs gives the same (tested). */
export function moduleShape(config: ParameterConfig, module: LoraTargetModule): [out: number, inputs: number] {
  const h = config.hidden_size;
  const d = configHeadDim(config);
  const q = config.num_attention_heads * d;
  const kv = config.num_key_value_heads * d;
  const f = config.intermediate_size;
  const shapes: Record<LoraTargetModule, [number, number]> = {
    q_proj: [q, h],
    k_proj: [kv, h],
    v_proj: [kv, h],
    o_proj: [h, q],
    gate_proj: [f, h],
    up_proj: [f, h],
    down_proj: [h, f],
  };
  return shapes[module];
}

export interface LoraCount {
  /** Values of A and B per module, one layer. */
  byModule: { module: LoraTargetModule; out: number; inputs: number; values: number; weightValues: number }[];
  /** A and B of every targeted module in one layer. */
  perLayer: number;
  /** What the adapter trains: perLayer × layers. */
  trainable: number;
  /** The base model's parameters (countParameters), all frozen. */
  base: number;
  /** trainable / base */
  fraction: number;
}

/**
 * The values an adapter of rank r on `modules` holds: each module adds A (r, in) and B (out, r),
 * r (in + out) values per layer, against the in × out of the weight it adapts.
 */
export function loraParameterCount(config: ParameterConfig, r: number, modules: readonly LoraTargetModule[]): LoraCount {
  if (!Number.isInteger(r) || r < 1) throw new Error(`loraParameterCount: r must be a positive whole number. Received ${r}.`);
  if (modules.length === 0) throw new Error('loraParameterCount: choose at least one target module.');
  const unique = LORA_TARGET_MODULES.filter((module) => modules.includes(module));
  const byModule = unique.map((module) => {
    const [out, inputs] = moduleShape(config, module);
    return { module, out, inputs, values: r * (inputs + out), weightValues: out * inputs };
  });
  const perLayer = byModule.reduce((sum, m) => sum + m.values, 0);
  const trainable = perLayer * config.num_hidden_layers;
  const base = countParameters(config).total;
  return { byModule, perLayer, trainable, base, fraction: trainable / base };
}

/** The largest rank a module's update can have: min(out, in). */
export function maxRank(config: ParameterConfig, modules: readonly LoraTargetModule[]): number {
  return Math.min(...modules.map((module) => Math.min(...moduleShape(config, module))));
}

// ----------------------------------------------------------------------------- memory

/** The dtypes the calculator offers for the weights and gradients (bytes per value). */
export const TRAINING_DTYPES = { fp32: 4, bf16: 2, fp16: 2 } as const;
export type TrainingDtype = keyof typeof TRAINING_DTYPES;

/** Optimizer state per trained value, in fp32 values: AdamW keeps two moments, SGD with momentum one, plain SGD none. */
export const OPTIMIZER_STATES = { adamw: 2, momentum: 1, sgd: 0 } as const;
export type OptimizerName = keyof typeof OPTIMIZER_STATES;

export interface TrainingMemory {
  /** The weights the forward reads, in the dtype (frozen and trained alike). */
  weights: number;
  /** One gradient per trained value, in the dtype. */
  gradients: number;
  /** An fp32 copy of the trained values when the dtype is 16-bit (mixed precision); 0 in fp32. */
  masterWeights: number;
  /** The optimizer's fp32 states of the trained values. */
  optimizerStates: number;
  total: number;
}

/**
 * Bytes held while training, activations left out (they depend on batch and sequence length):
 * every weight in the dtype, and for each trained value a gradient in the dtype, an fp32 master
 * copy under 16-bit mixed precision, and the optimizer's fp32 states. Full fine-tuning in bf16
 * with AdamW is 2 + 2 + 4 + 8 = 16 bytes per parameter (Rajbhandari et al. 2020, ZeRO, 3.1).
 */
export function trainingMemory({ frozen, trained, dtype, optimizer }: { frozen: number; trained: number; dtype: TrainingDtype; optimizer: OptimizerName }): TrainingMemory {
  const bytes = TRAINING_DTYPES[dtype];
  const weights = (frozen + trained) * bytes;
  const gradients = trained * bytes;
  const masterWeights = bytes < 4 ? trained * 4 : 0;
  const optimizerStates = trained * 4 * OPTIMIZER_STATES[optimizer];
  return { weights, gradients, masterWeights, optimizerStates, total: weights + gradients + masterWeights + optimizerStates };
}

export interface FineTuneComparison {
  count: LoraCount;
  full: TrainingMemory;
  lora: TrainingMemory;
  /** full.total / lora.total */
  memoryRatio: number;
  /** base / trainable */
  parameterRatio: number;
  /** The adapter file in fp32 (what saveAdapter writes): 4 bytes per value. */
  adapterFileBytes: number;
  /** The whole model's weights in the dtype: what a full fine-tune must save per task. */
  fullCheckpointBytes: number;
}

/** Full fine-tuning against LoRA on the same model, dtype and optimizer. */
export function compareFineTuning(config: ParameterConfig, r: number, modules: readonly LoraTargetModule[], dtype: TrainingDtype, optimizer: OptimizerName): FineTuneComparison {
  const count = loraParameterCount(config, r, modules);
  const full = trainingMemory({ frozen: 0, trained: count.base, dtype, optimizer });
  const lora = trainingMemory({ frozen: count.base, trained: count.trainable, dtype, optimizer });
  return {
    count,
    full,
    lora,
    memoryRatio: full.total / lora.total,
    parameterRatio: count.base / count.trainable,
    adapterFileBytes: count.trainable * 4,
    fullCheckpointBytes: count.base * TRAINING_DTYPES[dtype],
  };
}

/** The models the calculator offers: ours and Llama 2 7B, 13B, 70B (the anatomy chapter's presets). */
export const LORA_PRESETS: readonly ParameterPreset[] = ['glass-llama', 'llama-2-7b', 'llama-2-13b', 'llama-2-70b'].map(
  (id) => PARAMETER_PRESETS.find((preset) => preset.id === id)!,
);
export const LORA_PRESET_IDS = ['glass-llama', 'llama-2-7b', 'llama-2-13b', 'llama-2-70b'] as const;
export type LoraPresetId = (typeof LORA_PRESET_IDS)[number];

export function loraPreset(id: LoraPresetId): ParameterPreset {
  return LORA_PRESETS.find((preset) => preset.id === id)!;
}

/** Modules as the widgets keep them in a link: "q_proj,v_proj" <-> ['q_proj', 'v_proj']. */
export function parseModuleList(text: string): { modules: LoraTargetModule[]; problem: string | null } {
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(LORA_TARGET_MODULES as readonly string[]).includes(name));
  if (unknown.length > 0) return { modules: [], problem: `"${unknown[0]}" is not a module an adapter can target (${LORA_TARGET_MODULES.join(', ')}).` };
  if (names.length === 0) return { modules: [], problem: 'Choose at least one module to adapt.' };
  return { modules: LORA_TARGET_MODULES.filter((module) => names.includes(module)), problem: null };
}

export function moduleListText(modules: readonly LoraTargetModule[]): string {
  return LORA_TARGET_MODULES.filter((module) => modules.includes(module)).join(',');
}

// ----------------------------------------------------------------------------- the lab's task

/**
 * The LoRA lab's task: teach the model a girl's name it never saw. Our stories draw names from a
 * pool of 246 (scripts/corpus/words.ts); "Zelda" is not among them, and the tokenizer spells it
 * "▁Z", "el", "da". The training stories copy the corpus's openings.
 */
export const NEW_NAME = 'Zelda';

export const NAME_STORIES: readonly string[] = [
  `Once upon a time, there was a little girl named ${NEW_NAME}. ${NEW_NAME} liked to play in the park.`,
  `Once upon a time, there was a happy girl named ${NEW_NAME}. The sun was shining. ${NEW_NAME} went to the garden.`,
  `Once upon a time, a small girl named ${NEW_NAME} lived near the forest. ${NEW_NAME} had a red ball.`,
  `Once upon a time, there was a girl named ${NEW_NAME}. It was raining a little. ${NEW_NAME} was sad.`,
  `Once upon a time, there was a kind girl named ${NEW_NAME}. ${NEW_NAME} loved her cat very much.`,
  `Once upon a time, there was a little girl named ${NEW_NAME}. The birds were singing. ${NEW_NAME} went for a walk.`,
  `Once upon a time, a happy girl named ${NEW_NAME} lived in a big house. ${NEW_NAME} liked to sing.`,
  `Once upon a time, there was a brave girl named ${NEW_NAME}. ${NEW_NAME} saw a little dog in the park.`,
];

/** Where the lab asks for the name, and how it trains (the batches are PackedCorpus.randomBatch(seed, step)). */
export const NAME_TASK = {
  prompt: 'Once upon a time, there was a little girl named',
  /** The lab's adapter: rank, alpha and modules (every attention projection). */
  r: 4,
  alpha: 8,
  modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as readonly LoraTargetModule[],
  batchSize: 4,
  seqLength: 24,
  seed: 1,
  /** Seeds A (B starts at 0). */
  initSeed: 1,
  maxGradNorm: 1,
  peakLearningRate: 0.01,
  warmupSteps: 2,
  finalFraction: 0.1,
  defaultSteps: 30,
  maxSteps: 100,
};

/** The training examples: <s> story </s>, every token counted. */
export function nameTaskExamples(tokenizer: Tokenizer): { ids: number[] }[] {
  return NAME_STORIES.map((text) => ({ ids: [...tokenizer.encode(text, { bos: true }), tokenizer.eosId] }));
}

/** The schedule for a run of `steps` steps: warmup, then cosine decay to a tenth of the peak (src/llama/train.ts). */
export function nameTaskSchedule(steps: number): { peakLearningRate: number; warmupSteps: number; totalSteps: number; finalFraction: number } {
  return { peakLearningRate: NAME_TASK.peakLearningRate, warmupSteps: NAME_TASK.warmupSteps, totalSteps: steps, finalFraction: NAME_TASK.finalFraction };
}

/** The name's tokens after the prompt ("▁Z", "el", "da" for Zelda). */
export function nameTokenIds(tokenizer: Tokenizer): number[] {
  const withName = tokenizer.encode(`${NAME_TASK.prompt} ${NEW_NAME}`, { bos: true });
  const prompt = tokenizer.encode(NAME_TASK.prompt, { bos: true });
  if (withName.slice(0, prompt.length).some((id, i) => id !== prompt[i])) throw new Error('nameTokenIds: the prompt tokenizes differently before the name');
  return withName.slice(prompt.length);
}

/** The largest |a_i - b_i|: how far two logit arrays are apart. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDifference: ${a.length} values against ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

// ----------------------------------------------------------------------------- sources

export const LORA_PAPER: Citation = {
  title: 'LoRA: Low-Rank Adaptation of Large Language Models',
  authors: 'Hu, Shen, Wallis, Allen-Zhu, Li, Wang, Wang and Chen',
  year: 2021,
  where: 'section 4.1 (B = 0 at the start, scale alpha / r), section 4.2 (GPT-3 175B: 1.2 TB to 350 GB of VRAM; a 35 MB checkpoint with r = 4 on Wq and Wv), section 7.1 and Table 5 (which weights to adapt)',
};

/** The other parameter-efficient methods the chapter maps, each with what it trains. */
export const PEFT_METHODS: readonly (Citation & { name: string; trains: string })[] = [
  {
    name: 'Adapters',
    title: 'Parameter-Efficient Transfer Learning for NLP',
    authors: 'Houlsby et al.',
    year: 2019,
    where: 'section 2.1',
    trains: 'small bottleneck MLPs inserted after the attention and the feed-forward sublayer of every layer (plus the layer norms)',
  },
  {
    name: 'Prefix tuning',
    title: 'Prefix-Tuning: Optimizing Continuous Prompts for Generation',
    authors: 'Li and Liang',
    year: 2021,
    where: 'section 4',
    trains: 'a few vectors prepended to the keys and values of every layer, as if a prefix of virtual tokens had been read',
  },
  {
    name: 'Prompt tuning',
    title: 'The Power of Scale for Parameter-Efficient Prompt Tuning',
    authors: 'Lester, Al-Rfou and Constant',
    year: 2021,
    where: 'section 2',
    trains: 'a few embedding vectors (a soft prompt) prepended to the input only',
  },
  {
    name: 'IA³',
    title: 'Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than In-Context Learning',
    authors: 'Liu et al.',
    year: 2022,
    where: 'section 3.3',
    trains: 'three vectors per layer that rescale the keys, the values and the feed-forward hidden activations element by element',
  },
];

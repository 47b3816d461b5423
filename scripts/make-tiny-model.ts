/**
 * Writes a tiny random Llama to a directory, in the same layout as the shipped model
 * (config.json, model.safetensors, tokenizer.json), for tests and benchmarks that need a model
 * the browser can load before a trained one exists.
 *
 *   npx tsx scripts/make-tiny-model.ts OUT_DIR [--seed N]
 *
 * The model is untrained: its text is noise. Its weights are drawn with std 0.25 (not the 0.02
 * of a real init) so the logits are spread out (std about 1.4) and greedy decoding has clear
 * winners: backends that differ in the last float bits still pick the same tokens.
 * The tokenizer has Llama-2's first 259 pieces (<unk>, <s>, </s>, the 256 byte tokens, with
 * Llama-2's own ids 0..258) plus "▁", so any text encodes, through byte fallback.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configToJSON, parseConfig, type LlamaConfig } from '../src/llama/config';
import { createRandom, randomNormal } from '../src/llama/rng';
import { writeSafetensors } from '../src/llama/safetensors';
import type { TokenizerJSON } from '../src/llama/tokenizer';
import { expectedWeightShapes, shapeSize, type WeightMap } from '../src/llama/weights';

const WEIGHT_STD = 0.25;

/** The tokenizer: <unk> <s> </s>, <0x00>..<0xFF>, "▁"; no merges. */
export function tinyTokenizerJSON(): TokenizerJSON {
  const bytePieces = Array.from(
    { length: 256 },
    (_, byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`,
  );
  const pieces = ['<unk>', '<s>', '</s>', ...bytePieces, '\u2581'];
  // Llama-2 numbers these the same way; "▁" is Llama-2 id 29871.
  const llamaIds = [...pieces.keys()].map((id) => (id < 259 ? id : 29871));
  return { pieces, llamaIds, merges: [], unkId: 0, bosId: 1, eosId: 2 };
}

/** 2 layers, 4 query heads sharing 2 key/value heads (grouped-query attention), hidden 32. */
export function tinyConfig(): LlamaConfig {
  return parseConfig({
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    vocab_size: tinyTokenizerJSON().pieces.length,
    max_position_embeddings: 128,
    tie_word_embeddings: false,
    hidden_act: 'silu',
    bos_token_id: 1,
    eos_token_id: 2,
  });
}

/** Seeded weights: RMSNorm gains 1, every matrix N(0, 0.25^2). */
export function tinyWeights(config: LlamaConfig, seed: number): WeightMap {
  const random = createRandom(seed);
  const weights: WeightMap = new Map();
  for (const [name, shape] of expectedWeightShapes(config)) {
    const data = new Float32Array(shapeSize(shape));
    if (shape.length === 1) data.fill(1);
    else for (let i = 0; i < data.length; i++) data[i] = WEIGHT_STD * randomNormal(random);
    weights.set(name, { shape, data });
  }
  return weights;
}

/** Writes config.json, model.safetensors and tokenizer.json into dir (created if needed). */
export function writeTinyModel(dir: string, seed = 0): void {
  const config = tinyConfig();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configToJSON(config), null, 2));
  writeFileSync(
    join(dir, 'model.safetensors'),
    writeSafetensors(tinyWeights(config, seed), { metadata: { format: 'pt', seed: String(seed) } }),
  );
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJSON()));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const seedFlag = args.indexOf('--seed');
  const seed = seedFlag >= 0 ? Number(args[seedFlag + 1]) : 0;
  const outDir = args.find((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--seed');
  if (!outDir || !Number.isInteger(seed)) {
    console.error('Usage: npx tsx scripts/make-tiny-model.ts OUT_DIR [--seed N]');
    process.exit(2);
  }
  writeTinyModel(resolve(outDir), seed);
  console.log(`Wrote a tiny random model (seed ${seed}) to ${resolve(outDir)}`);
}

// What the widget contracts (tests/e2e/contracts/) and the chapter tests both read: the engine's
// numbers for a widget's input, and the widget's readouts as numbers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { gatedProduct } from '../../../src/chapters/activations';
import { tapRow } from '../../../src/chapters/attention';
import { DP_TRAINING } from '../../../src/chapters/dataParallel';
import { contiguousLayout, pagedLayout, requestsThatFit } from '../../../src/chapters/kvcache';
import { allReduceGradients, allReduceLoss } from '../../../src/llama/dataParallel';
import { generate } from '../../../src/llama/generate';
import { loadAdapter, type LoraAdapter } from '../../../src/llama/lora';
import { tokenLogProbs } from '../../../src/llama/math';
import { layerTap } from '../../../src/llama/taps';
import { useFastWasmEmbeddingGradient, useFastWasmMatMul } from '../../../src/llama/wasmKernels';
import { DataParallelRank } from '../../../src/runtime/dpRankOps';
import { REPO_ROOT } from './build';
import type { NodeEngine } from './contracts';

/** Attention probabilities of one head for one query (-1: the last), keys 0..query, from the engine in Node. */
export async function engineAttentionRow(engine: NodeEngine, prompt: string, layer: number, head: number, query: number): Promise<number[]> {
  const ids = engine.tokenizer.encode(prompt, { bos: true });
  const tap = layerTap(layer, 'attn.probs');
  const { taps } = await engine.model.run([ids], { taps: [tap] });
  const row = query < 0 ? ids.length - 1 : query;
  return tapRow(taps[tap], head, row).slice(0, row + 1);
}

/** A number as a widget prints it: a typographic minus, thousands separators, a trailing % or unit. */
export function shownNumber(text: string | null): number {
  const cleaned = (text ?? '').trim().replace(/−/g, '-').replace(/[,\u202f\u00a0 ]/g, '');
  const match = /-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/i.exec(cleaned);
  if (!match) throw new Error(`no number in "${text}"`);
  return Number(match[0]);
}

/** The cells of column `n` (1-based) of a widget's table, as numbers. */
export async function columnNumbers(table: Locator, n: number): Promise<number[]> {
  return (await table.locator(`tbody tr td:nth-child(${n})`).allTextContents()).map(shownNumber);
}

/** The validation stories the site ships (public/data/validation-sample.json). */
export function validationTexts(): string[] {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'public', 'data', 'validation-sample.json'), 'utf8')) as { texts: string[] }).texts;
}

/** Per validation story (cut at the context, as the widgets cut it): its ids and layer `layer`'s gated MLP products SiLU(gate) · up [seq * width], from the engine. */
export async function validationUnitRows(engine: NodeEngine, layer: number): Promise<{ stories: number[][]; rows: Float32Array[] }> {
  const context = engine.model.config.max_position_embeddings;
  const stories = validationTexts().map((text) => engine.tokenizer.encode(text, { bos: true }).slice(0, context));
  const rows: Float32Array[] = [];
  const act = layerTap(layer, 'mlp.act');
  const up = layerTap(layer, 'mlp.up');
  for (const ids of stories) {
    const { taps } = await engine.model.run([ids], { taps: [act, up] });
    rows.push(gatedProduct(taps[act].data, taps[up].data));
  }
  return { stories, rows };
}

/**
 * dp-ranks' 2 honest ranks run in Node on the wasm backend with the training kernels the rank
 * workers use: each step's local losses and the all-reduced loss.
 */
export function nodeDataParallelRanks(engine: NodeEngine, steps: number): { local: number[]; reduced: number }[] {
  useFastWasmMatMul();
  useFastWasmEmbeddingGradient();
  const { model, tokenizer } = engine;
  const examples = validationTexts().map((text) => ({ ids: [...tokenizer.encode(text, { bos: true }), tokenizer.eosId] }));
  const weights = model.toWeightMap();
  const members = [0, 1].map((rank) =>
    DataParallelRank.fromExamples(model.config, weights, examples, { rank, ranks: 2, sameData: false, texts: [], batchSize: DP_TRAINING.batchSize, seqLength: DP_TRAINING.seqLength, seed: DP_TRAINING.seed, maxGradNorm: DP_TRAINING.maxGradNorm, embeddingLookup: 'gather' }),
  );
  const out: { local: number[]; reduced: number }[] = [];
  for (let step = 0; step < steps; step++) {
    const replies = members.map((m) => m.gradients(step));
    const averaged = allReduceGradients(replies);
    members.forEach((m) => m.apply(averaged, DP_TRAINING.learningRate));
    out.push({ local: replies.map((r) => r.loss), reduced: allReduceLoss(replies) });
  }
  members.forEach((m) => m.dispose());
  return out;
}

/** The shipped chat SFT adapter (public/models/glass-llama/adapters/chat-sft-lora), loaded for `engine`'s config. */
export function chatSftAdapter(engine: NodeEngine): LoraAdapter {
  const folder = join(REPO_ROOT, 'public', 'models', 'glass-llama', 'adapters', 'chat-sft-lora');
  return loadAdapter(engine.model.config, {
    'adapter_model.safetensors': new Uint8Array(readFileSync(join(folder, 'adapter_model.safetensors'))),
    'adapter_config.json': readFileSync(join(folder, 'adapter_config.json'), 'utf8'),
  });
}

/** Sum of ln p of ids[from..] under the engine's model with `adapter` attached (null: the base model); detaches after. */
export async function summedLogProb(engine: NodeEngine, ids: number[], from: number, adapter: LoraAdapter | null): Promise<number> {
  try {
    engine.model.attachAdapter(adapter);
    const { logits } = await engine.model.run([ids]);
    return tokenLogProbs(logits.data, engine.model.config.vocab_size, ids, from).reduce((a, b) => a + b, 0);
  } finally {
    engine.model.attachAdapter(null);
  }
}

/** One request of the paged-memory figure (kv-paged), as src/chapters/kvcache.ts lays requests out. */
export interface SampledRequest {
  promptTokens: number;
  newTokens: number;
  maxNewTokens: number;
  group: number;
}

/**
 * The paged-memory figure's requests, sampled again in Node: `prompt` continued at T = 1 with seeds
 * 1..requests, at most maxNewTokens each, stopping at the end-of-story token, as the figure samples them.
 */
export async function sampledRequests(engine: NodeEngine, prompt: number[], requests: number, maxNewTokens: number): Promise<SampledRequest[]> {
  const trace: SampledRequest[] = [];
  for (let seed = 1; seed <= requests; seed++) {
    const { newIds } = await generate(engine.model, prompt, { maxNewTokens, temperature: 1, seed, eosTokenId: engine.tokenizer.eosId });
    trace.push({ promptTokens: prompt.length, newTokens: newIds.length, maxNewTokens, group: 0 });
  }
  return trace;
}

/**
 * What the paged-memory figure writes for these requests in `slots` cache slots with blocks of
 * `blockSize`, prompt blocks shared: one block-table line per request, the two "fit" headings and
 * the contiguous reservation in its readout (computed by the allocator, src/chapters/kvcache.ts).
 */
export function pagedFigureTexts(trace: SampledRequest[], blockSize: number, slots: number): { tables: string[]; headings: string[]; readout: string } {
  const paged = pagedLayout(trace, blockSize, { sharePrefix: true });
  const { promptTokens, maxNewTokens } = trace[0];
  return {
    tables: trace.map((r, i) => `request ${i + 1} (${r.promptTokens} + ${r.newTokens} tokens): [${paged.blockTables[i].join(', ')}]`),
    headings: [
      `Contiguous, reserved to prompt + max_new_tokens (${promptTokens} + ${maxNewTokens}): ${requestsThatFit(trace, slots, { kind: 'contiguous' })} of ${trace.length} requests fit`,
      `Paged, blocks of ${blockSize} tokens, prompt blocks shared: ${requestsThatFit(trace, slots, { kind: 'paged', blockSize, sharePrefix: true })} of ${trace.length} requests fit`,
    ],
    readout: `Contiguous: ${contiguousLayout(trace).reservedSlots} slots reserved`,
  };
}

// The maths of the KV-cache chapter: the cache's size per token from a config, the published
// Llama 2 shapes, and a small simulator of two ways to lay out many requests' caches in a fixed
// memory: contiguous slots reserved to each request's maximum length, or PagedAttention's
// fixed-size blocks with a block table per request, shared prompt blocks and copy-on-write.
// Pure functions: no tensors, no worker; the widgets feed them real generated lengths.
import type { LlamaConfig } from '../llama/config';
import type { BeamStep } from '../llama/generate';

/** What the size of a KV cache depends on. */
export interface KvShape {
  layers: number;
  /** key/value heads (fewer than the query heads under grouped-query attention) */
  kvHeads: number;
  headDim: number;
}

/** The KV shape of a model config. */
export function kvShapeOf(config: LlamaConfig): KvShape {
  return {
    layers: config.num_hidden_layers,
    kvHeads: config.num_key_value_heads,
    headDim: config.head_dim ?? config.hidden_size / config.num_attention_heads,
  };
}

/** Bytes one token adds to the cache: 2 (a key and a value) x layers x KV heads x head dim x bytes per value. */
export function kvBytesPerToken(shape: KvShape, bytesPerValue: number): number {
  return 2 * shape.layers * shape.kvHeads * shape.headDim * bytesPerValue;
}

/**
 * Llama 2's published shapes (Touvron et al. 2023, "Llama 2: Open Foundation and Fine-Tuned Chat
 * Models", Table 1 and section 2.2: 70B uses grouped-query attention with 8 KV heads; the
 * hidden sizes, layers and heads are those of the released config.json files).
 */
export const LLAMA2_PRESETS = [
  { name: 'Llama 2 7B', hidden: 4096, layers: 32, heads: 32, kvHeads: 32, context: 4096 },
  { name: 'Llama 2 13B', hidden: 5120, layers: 40, heads: 40, kvHeads: 40, context: 4096 },
  { name: 'Llama 2 70B', hidden: 8192, layers: 80, heads: 64, kvHeads: 8, context: 4096 },
] as const;

export type Llama2Preset = (typeof LLAMA2_PRESETS)[number];

export function presetShape(preset: Llama2Preset, { gqa = true }: { gqa?: boolean } = {}): KvShape {
  return { layers: preset.layers, kvHeads: gqa ? preset.kvHeads : preset.heads, headDim: preset.hidden / preset.heads };
}

/** "1.5 KiB", "512 KiB", "2.50 MiB", "1.00 GiB": binary units, as memory is sold. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} bytes`;
  return `${Number.isInteger(value) ? value : value.toFixed(2)} ${units[unit]}`;
}

/**
 * Attention work of generating `steps` tokens after a `prompt`-token prompt, counted in
 * (query, key) pairs: with a cache each step's one query meets every key so far; without one
 * every step recomputes every query of the prefix against its keys (a causal triangle).
 */
export function attentionPairs(prompt: number, steps: number): { withCache: number; recompute: number } {
  let withCache = (prompt * (prompt + 1)) / 2; // the prefill's causal triangle
  let recompute = withCache;
  for (let t = 1; t < steps; t++) {
    const length = prompt + t;
    withCache += length;
    recompute += (length * (length + 1)) / 2;
  }
  return { withCache, recompute };
}

// ------------------------------------------------------------------ serving many requests

/** One request to a server: its prompt, how many tokens it generated, and the cap it asked for. */
export interface SimRequest {
  promptTokens: number;
  /** tokens actually generated (it may stop early at end-of-text) */
  newTokens: number;
  /** max_new_tokens: a contiguous allocator reserves promptTokens + maxNewTokens slots */
  maxNewTokens: number;
  /** Requests with the same group share one prompt (parallel sampling: n samples of one prompt). */
  group?: number;
}

export const requestLength = (request: SimRequest) => request.promptTokens + request.newTokens;

export interface ContiguousLayout {
  /** per request: first slot, slots reserved, slots holding tokens */
  requests: { start: number; reserved: number; used: number }[];
  reservedSlots: number;
  usedSlots: number;
  /** reserved but never written: reservation and internal fragmentation */
  wastedSlots: number;
  /** usedSlots / reservedSlots (0 when nothing is reserved) */
  utilisation: number;
}

/**
 * Every request gets one contiguous run of slots, reserved up front to its maximum length
 * (prompt + max new tokens), laid end to end in arrival order, as systems that store each
 * request's cache as one tensor do.
 */
export function contiguousLayout(requests: readonly SimRequest[]): ContiguousLayout {
  let start = 0;
  const laid = requests.map((request) => {
    checkRequest(request);
    const reserved = request.promptTokens + request.maxNewTokens;
    const entry = { start, reserved, used: requestLength(request) };
    start += reserved;
    return entry;
  });
  const reservedSlots = start;
  const usedSlots = laid.reduce((sum, r) => sum + r.used, 0);
  return { requests: laid, reservedSlots, usedSlots, wastedSlots: reservedSlots - usedSlots, utilisation: reservedSlots ? usedSlots / reservedSlots : 0 };
}

export interface PagedBlock {
  /** token slots written (at most the block size) */
  filled: number;
  /** requests whose block tables point at this block */
  owners: number[];
}

export interface PagedLayout {
  blockSize: number;
  /** physical blocks in allocation order; a block freed by copy-on-write is never reused here */
  blocks: PagedBlock[];
  /** per request: its logical blocks' physical block numbers */
  blockTables: number[][];
  /** blocks in use at the end (pointed at by some table) */
  allocatedBlocks: number;
  /** distinct token slots written in those blocks (a shared block counts once) */
  storedSlots: number;
  /** slots that would hold the tokens if nothing were shared */
  tokenSlots: number;
  /** allocatedBlocks x blockSize - storedSlots: the empty tail of each request's last block */
  wastedSlots: number;
  /** blocks pointed at by more than one table */
  sharedBlocks: number;
  /** copy-on-write copies made when a sample first wrote into a shared, partly filled block */
  copies: number;
  utilisation: number;
}

/**
 * PagedAttention's allocator, step by step as a server runs: every request's prompt is written
 * first (arrival order), then each decode step appends one token to every request that is still
 * generating; a request takes a new block from the pool only when its last block is full. With
 * sharePrefix, the requests of one group point at the first one's prompt blocks (reference
 * counts); the first write into a shared block that is only partly full copies it
 * (copy-on-write), unless the writer is its last owner, which writes in place.
 */
export function pagedLayout(requests: readonly SimRequest[], blockSize: number, { sharePrefix = false }: { sharePrefix?: boolean } = {}): PagedLayout {
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`The block size must be a whole number of tokens >= 1. Received ${blockSize}.`);
  requests.forEach(checkRequest);
  const blocks: PagedBlock[] = [];
  const tables: number[][] = requests.map(() => []);
  const lengths = requests.map(() => 0);
  let copies = 0;
  const newBlock = (owner: number, filled = 0) => {
    blocks.push({ filled, owners: [owner] });
    return blocks.length - 1;
  };
  /** Appends one token to request r. */
  const append = (r: number) => {
    const table = tables[r];
    const offset = lengths[r] % blockSize;
    if (offset === 0) table.push(newBlock(r));
    else {
      const last = table[table.length - 1];
      const block = blocks[last];
      if (block.owners.length > 1) {
        // copy-on-write: this request gets its own copy of the shared, partly filled block
        block.owners = block.owners.filter((owner) => owner !== r);
        table[table.length - 1] = newBlock(r, block.filled);
        copies++;
      }
    }
    blocks[table[table.length - 1]].filled = offset + 1;
    lengths[r]++;
  };

  const firstOfGroup = new Map<number, number>();
  requests.forEach((request, r) => {
    const leader = sharePrefix && request.group !== undefined ? firstOfGroup.get(request.group) : undefined;
    if (leader === undefined) {
      if (request.group !== undefined) firstOfGroup.set(request.group, r);
      for (let t = 0; t < request.promptTokens; t++) append(r);
      return;
    }
    if (requests[leader].promptTokens !== request.promptTokens) {
      throw new Error(`Requests ${leader} and ${r} share a prompt but their prompt lengths differ (${requests[leader].promptTokens} and ${request.promptTokens}).`);
    }
    tables[r] = tables[leader].slice(0, Math.ceil(request.promptTokens / blockSize));
    for (const block of tables[r]) blocks[block].owners.push(r);
    lengths[r] = request.promptTokens;
  });
  const longest = Math.max(0, ...requests.map((request) => request.newTokens));
  for (let step = 0; step < longest; step++) {
    requests.forEach((request, r) => {
      if (step < request.newTokens) append(r);
    });
  }

  const live = blocks.filter((block) => block.owners.length > 0);
  const storedSlots = live.reduce((sum, block) => sum + block.filled, 0);
  const allocatedBlocks = live.length;
  return {
    blockSize,
    blocks,
    blockTables: tables,
    allocatedBlocks,
    storedSlots,
    tokenSlots: requests.reduce((sum, request) => sum + requestLength(request), 0),
    wastedSlots: allocatedBlocks * blockSize - storedSlots,
    sharedBlocks: live.filter((block) => block.owners.length > 1).length,
    copies,
    utilisation: allocatedBlocks ? storedSlots / (allocatedBlocks * blockSize) : 0,
  };
}

/**
 * How many of the requests, taken in arrival order, fit in a memory of `budgetSlots` token slots:
 * contiguously (their reservations) or paged (the blocks they end up using, if each block came
 * exactly when needed).
 */
export function requestsThatFit(
  requests: readonly SimRequest[],
  budgetSlots: number,
  layout: { kind: 'contiguous' } | { kind: 'paged'; blockSize: number; sharePrefix?: boolean },
): number {
  if (!Number.isInteger(budgetSlots) || budgetSlots < 0) throw new Error(`The memory budget must be a whole number of token slots >= 0. Received ${budgetSlots}.`);
  let fit = 0;
  for (let k = 1; k <= requests.length; k++) {
    const first = requests.slice(0, k);
    const slots =
      layout.kind === 'contiguous'
        ? contiguousLayout(first).reservedSlots
        : pagedLayout(first, layout.blockSize, { sharePrefix: layout.sharePrefix }).allocatedBlocks * layout.blockSize;
    if (slots > budgetSlots) break;
    fit = k;
  }
  return fit;
}

function checkRequest(request: SimRequest): void {
  for (const name of ['promptTokens', 'newTokens', 'maxNewTokens'] as const) {
    const value = request[name];
    if (!Number.isInteger(value) || value < 0) throw new Error(`A request's ${name} must be a whole number >= 0. Received ${value}.`);
  }
  if (request.newTokens > request.maxNewTokens) throw new Error(`A request generated ${request.newTokens} tokens, more than its max_new_tokens ${request.maxNewTokens}.`);
}

export interface BeamMemory {
  /** Token slots when every beam keeps its own contiguous copy of its cache (prompt included). */
  contiguousSlots: number;
  /** Physical blocks when beams share the blocks of their common prefix (copy-on-write). */
  blocks: number;
  /** Of those, blocks that more than one beam points at. */
  sharedBlocks: number;
  /** blocks x blockSize. */
  pagedSlots: number;
}

/**
 * KV memory of the live beams of a beam search (each sequence = prompt + the beam's tokens). Paged,
 * a block is shared by the beams whose tokens agree up to the block's last filled slot (they
 * descend from the same beam); the block where beams part ways is copied on write.
 */
export function beamMemory(sequences: readonly (readonly number[])[], blockSize: number): BeamMemory {
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`beamMemory: blockSize must be a whole number >= 1. Received ${blockSize}.`);
  const users = new Map<string, number>();
  for (const sequence of sequences) {
    for (let start = 0; start < sequence.length; start += blockSize) {
      const key = sequence.slice(0, Math.min(start + blockSize, sequence.length)).join(',');
      users.set(key, (users.get(key) ?? 0) + 1);
    }
  }
  const blocks = users.size;
  return {
    contiguousSlots: sequences.reduce((sum, sequence) => sum + sequence.length, 0),
    blocks,
    sharedBlocks: [...users.values()].filter((count) => count > 1).length,
    pagedSlots: blocks * blockSize,
  };
}

/** A path drawn in the beam tree: the tokens after the prompt and each token's log-probability. */
export interface BeamPath {
  name: string;
  ids: number[];
  logProbs: number[];
}

/**
 * The live beams after step `step` (1-based; best first, named "beam 1", ...) and the hypotheses
 * finished by then ("finished 1", ...), each token with its log-probability. Every prefix of a beam
 * was itself a live beam at an earlier step, so the cumulative log-probabilities come from the steps.
 */
export function beamPaths(steps: readonly BeamStep[], step: number): BeamPath[] {
  if (!Number.isInteger(step) || step < 1 || step > steps.length) throw new Error(`beamPaths: step must be a whole number from 1 to ${steps.length}. Received ${step}.`);
  const cumulative = new Map<string, number>([['', 0]]);
  for (const { beams } of steps.slice(0, step)) for (const beam of beams) cumulative.set(beam.tokens.join(','), beam.logProb);
  const path = (name: string, ids: number[], total: number): BeamPath => {
    const sums = ids.map((_, i) => (i === ids.length - 1 ? total : cumulative.get(ids.slice(0, i + 1).join(','))));
    if (sums.some((sum) => sum === undefined)) throw new Error(`beamPaths: a prefix of ${name} was never a live beam.`);
    return { name, ids, logProbs: sums.map((sum, i) => sum! - (i === 0 ? 0 : sums[i - 1]!)) };
  };
  const { beams, finished } = steps[step - 1];
  return [
    ...beams.map((beam, row) => path(`beam ${row + 1}`, beam.tokens, beam.logProb)),
    ...finished.map((hypothesis, i) => path(`finished ${i + 1}`, hypothesis.tokens, hypothesis.score * hypothesis.tokens.length)),
  ];
}

// The KV-cache chapter: the cache's bytes per token (our config, the Llama 2 presets, GQA), the
// allocator simulations on hand-computed traces, and on the shipped model: decoding against the
// cache equals recomputing the whole prefix (and the float64 reference), and the figures the
// prose states.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  attentionPairs,
  beamMemory,
  beamPaths,
  contiguousLayout,
  formatBytes,
  kvBytesPerToken,
  kvShapeOf,
  LLAMA2_PRESETS,
  pagedLayout,
  presetShape,
  requestsThatFit,
  type SimRequest,
} from '../../src/chapters/kvcache';
import { decodeTimeline } from '../../src/llama/decodeTimeline';
import { generate } from '../../src/llama/generate';
import { kvCacheInfo } from '../../src/llama/inspect';
import { KVCache } from '../../src/llama/kvcache';
import { referenceGreedy } from '../../src/llama/reference';
import type { LlamaModel } from '../../src/llama/model';
import type { Tokenizer } from '../../src/llama/tokenizer';
import { readModelFiles } from '../../scripts/load-model';
import { beamSearchOf, decodeTimelineOf } from '../../src/runtime/kvcacheOps';
import { BEAMS_PROMPT, copiedNote, shownStep } from '../../components/KvBeams';
import { useBackend } from './helpers/backends';
import { loadChapterModel, SHIPPED_MODEL_DIR } from './helpers/chapter-model';

describe('bytes per token', () => {
  test('2 x layers x KV heads x head dim x bytes for the Llama 2 presets in fp16', () => {
    const [b7, b13, b70] = LLAMA2_PRESETS.map((preset) => kvBytesPerToken(presetShape(preset), 2));
    expect(b7).toBe(2 * 32 * 32 * 128 * 2);
    expect(formatBytes(b7)).toBe('512 KiB');
    expect(formatBytes(b13)).toBe('800 KiB');
    expect(formatBytes(b70)).toBe('320 KiB');
    // without grouped-query attention 70B would cache all 64 heads: 8 times as much
    expect(formatBytes(kvBytesPerToken(presetShape(LLAMA2_PRESETS[2], { gqa: false }), 2))).toBe('2.50 MiB');
    // a full 4096-token context of 7B in fp16: 2 GiB per sequence
    expect(formatBytes(b7 * 4096)).toBe('2 GiB');
    expect(formatBytes(b13 * 4096)).toBe('3.13 GiB');
    expect(formatBytes(b70 * 4096)).toBe('1.25 GiB');
    expect(formatBytes(b13 * 4096 * 10)).toBe('31.25 GiB');
  });

  test('head dim is hidden / heads: 128 for every Llama 2 size', () => {
    expect(LLAMA2_PRESETS.map((preset) => presetShape(preset).headDim)).toEqual([128, 128, 128]);
  });

  test('formatBytes uses binary units', () => {
    expect(formatBytes(1000)).toBe('1000 bytes');
    expect(formatBytes(2048)).toBe('2 KiB');
    expect(formatBytes(1536)).toBe('1.50 KiB');
  });

  test('attention pairs: 3-token prompt, 3 tokens generated', () => {
    // prefill: 1 + 2 + 3 = 6 pairs; with a cache the next two steps add 4 and 5 = 15;
    // recomputing adds the triangles of 4 and 5 tokens (10 and 15) = 31
    expect(attentionPairs(3, 3)).toEqual({ withCache: 15, recompute: 31 });
    expect(attentionPairs(1, 1)).toEqual({ withCache: 1, recompute: 1 });
  });
});

describe('allocator simulation on hand-computed traces', () => {
  // A: prompt 5 + 3 new (max 10), prompt 2 + 9 new (max 10), blocks of 4
  const traceA: SimRequest[] = [
    { promptTokens: 5, newTokens: 3, maxNewTokens: 10 },
    { promptTokens: 2, newTokens: 9, maxNewTokens: 10 },
  ];

  test('contiguous: reserves prompt + max new tokens, end to end', () => {
    const layout = contiguousLayout(traceA);
    expect(layout.requests).toEqual([
      { start: 0, reserved: 15, used: 8 },
      { start: 15, reserved: 12, used: 11 },
    ]);
    expect(layout.reservedSlots).toBe(27);
    expect(layout.usedSlots).toBe(19);
    expect(layout.wastedSlots).toBe(8);
    expect(layout.utilisation).toBeCloseTo(19 / 27, 12);
  });

  test('paged: blocks taken as the tokens arrive, interleaved between requests', () => {
    const layout = pagedLayout(traceA, 4);
    // prompts: r0 -> blocks 0 (4 tokens), 1 (1); r1 -> block 2 (2). Decode: r1 fills block 2 at
    // its 4th token, takes block 3 at its 5th (step 3) and block 4 at its 9th.
    expect(layout.blockTables).toEqual([[0, 1], [2, 3, 4]]);
    expect(layout.blocks.map((block) => block.filled)).toEqual([4, 4, 4, 4, 3]);
    expect(layout.allocatedBlocks).toBe(5);
    expect(layout.storedSlots).toBe(19);
    expect(layout.wastedSlots).toBe(1);
    expect(layout.sharedBlocks).toBe(0);
    expect(layout.copies).toBe(0);
  });

  test('how many fit in a budget: 16 slots hold one request either way, 20 slots two when paged', () => {
    expect(requestsThatFit(traceA, 16, { kind: 'contiguous' })).toBe(1);
    expect(requestsThatFit(traceA, 16, { kind: 'paged', blockSize: 4 })).toBe(1);
    expect(requestsThatFit(traceA, 20, { kind: 'contiguous' })).toBe(1);
    expect(requestsThatFit(traceA, 20, { kind: 'paged', blockSize: 4 })).toBe(2);
    expect(requestsThatFit(traceA, 27, { kind: 'contiguous' })).toBe(2);
    expect(requestsThatFit(traceA, 7, { kind: 'paged', blockSize: 4 })).toBe(0);
  });

  // B: three samples of one 6-token prompt (parallel sampling), generating 2, 0 and 5 tokens
  const traceB: SimRequest[] = [
    { promptTokens: 6, newTokens: 2, maxNewTokens: 8, group: 0 },
    { promptTokens: 6, newTokens: 0, maxNewTokens: 8, group: 0 },
    { promptTokens: 6, newTokens: 5, maxNewTokens: 8, group: 0 },
  ];

  test('shared prefix: one copy of the full prompt block, copy-on-write of the partial one', () => {
    const layout = pagedLayout(traceB, 4, { sharePrefix: true });
    // r0 writes the prompt into blocks 0 (4) and 1 (2); r1, r2 point at both. r0's first new
    // token copies block 1 into block 2; r2's copies it into block 3; r1 writes nothing and keeps
    // block 1. r2's 9th token takes block 4.
    expect(layout.blockTables).toEqual([[0, 2], [0, 1], [0, 3, 4]]);
    expect(layout.copies).toBe(2);
    expect(layout.sharedBlocks).toBe(1);
    expect(layout.blocks[0].owners).toEqual([0, 1, 2]);
    expect(layout.allocatedBlocks).toBe(5);
    expect(layout.storedSlots).toBe(4 + 2 + 4 + 4 + 3);
    expect(layout.tokenSlots).toBe(8 + 6 + 11);
    expect(layout.wastedSlots).toBe(3);
  });

  test('the last owner of a shared partial block writes in place (no copy)', () => {
    const layout = pagedLayout(traceB.slice(0, 2).map((r, i) => ({ ...r, newTokens: i === 0 ? 0 : 1 })), 4, { sharePrefix: true });
    // r0 writes nothing; r1's token must copy (r0 still points at block 1) -> 1 copy
    expect(layout.copies).toBe(1);
    const alone = pagedLayout([{ promptTokens: 6, newTokens: 1, maxNewTokens: 8, group: 0 }], 4, { sharePrefix: true });
    expect(alone.copies).toBe(0);
    expect(alone.blockTables).toEqual([[0, 1]]);
  });

  test('without sharing the same trace takes 7 blocks, and fits fewer', () => {
    const layout = pagedLayout(traceB, 4);
    expect(layout.blockTables).toEqual([[0, 1], [2, 3], [4, 5, 6]]);
    expect(layout.allocatedBlocks).toBe(7);
    expect(layout.wastedSlots).toBe(28 - 25);
    expect(requestsThatFit(traceB, 20, { kind: 'paged', blockSize: 4, sharePrefix: true })).toBe(3);
    expect(requestsThatFit(traceB, 20, { kind: 'paged', blockSize: 4 })).toBe(2);
    expect(contiguousLayout(traceB).wastedSlots).toBe(42 - 25);
  });

  test('a prompt that ends on a block boundary shares every prompt block and copies nothing', () => {
    const trace: SimRequest[] = [
      { promptTokens: 8, newTokens: 1, maxNewTokens: 4, group: 1 },
      { promptTokens: 8, newTokens: 1, maxNewTokens: 4, group: 1 },
    ];
    const layout = pagedLayout(trace, 4, { sharePrefix: true });
    expect(layout.blockTables).toEqual([[0, 1, 2], [0, 1, 3]]);
    expect(layout.copies).toBe(0);
    expect(layout.sharedBlocks).toBe(2);
  });

  test('bad input is refused with a message', () => {
    expect(() => pagedLayout(traceA, 0)).toThrow('The block size must be a whole number of tokens >= 1. Received 0.');
    expect(() => contiguousLayout([{ promptTokens: 2, newTokens: 5, maxNewTokens: 4 }])).toThrow('more than its max_new_tokens 4');
    expect(() => requestsThatFit(traceA, -1, { kind: 'contiguous' })).toThrow('budget');
    expect(() => pagedLayout([{ promptTokens: 3, newTokens: 0, maxNewTokens: 1, group: 0 }, { promptTokens: 4, newTokens: 0, maxNewTokens: 1, group: 0 }], 4, { sharePrefix: true })).toThrow(
      'prompt lengths differ',
    );
  });
});

const PAGED_PROMPT = 'Once upon a time, there was a little girl named Lily. She loved to play outside with her ball.';

describe('on the shipped model (wasm)', () => {
  let model: LlamaModel;
  let tokenizer: Tokenizer;
  beforeAll(async () => {
    await useBackend('wasm');
    ({ model, tokenizer } = loadChapterModel());
  });
  afterAll(async () => {
    model.dispose();
    await useBackend('cpu');
  });

  test('our config caches 2 x 4 layers x 2 KV heads x 32 = 512 values a token: 2 KiB in float32, 1 KiB in fp16', () => {
    const shape = kvShapeOf(model.config);
    expect(shape).toEqual({ layers: 4, kvHeads: 2, headDim: 32 });
    expect(kvBytesPerToken(shape, 4)).toBe(2048);
    expect(kvBytesPerToken(shape, 2)).toBe(1024);
    expect(model.config.num_attention_heads / model.config.num_key_value_heads).toBe(2); // GQA halves it
    expect(model.config.max_position_embeddings).toBe(256);
  });

  test('the cache after a forward holds exactly the formula: bytes per token x tokens', async () => {
    const ids = tokenizer.encode('Once upon a time, there was a little cat.');
    const cache = new KVCache(model.config.num_hidden_layers);
    try {
      tf.tidy(() => {
        model.forward(tf.tensor2d([ids], undefined, 'int32'), { cache });
      });
      const info = await kvCacheInfo(cache);
      expect(info.totalBytes).toBe(kvBytesPerToken(kvShapeOf(model.config), 4) * ids.length);
    } finally {
      cache.dispose();
    }
  });

  test('decoding against the cache gives the logits of recomputing the whole prefix (1e-5), and the float64 reference', async () => {
    const prompt = tokenizer.encode('Once upon a time');
    const before = tf.memory().numTensors;
    const timeline = await decodeTimeline(model, prompt, { steps: 12, recompute: true, layer: 3, head: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(timeline.steps).toHaveLength(12);
    for (const step of timeline.steps) expect(step.maxLogitDifference!).toBeLessThan(1e-5);
    // greedy tokens equal the float64 reference's
    const { weights, config } = readModelFiles(SHIPPED_MODEL_DIR);
    expect(timeline.newIds).toEqual(referenceGreedy(config, weights, prompt, 13));
    // the cache grows by 2 KiB a step, and ends with prompt + 12 tokens
    expect(timeline.prefillBytes).toBe(2048 * prompt.length);
    expect(timeline.steps.map((step) => step.cacheBytes)).toEqual(timeline.steps.map((_, i) => 2048 * (prompt.length + i + 1)));
    expect(timeline.contents.keys).toHaveLength(prompt.length + 12);
    expect(timeline.contents.keys[0]).toHaveLength(32);
  });

  test('decodeTimeline refuses steps past the context and a head beyond the KV heads', async () => {
    await expect(decodeTimeline(model, [1, 2], { steps: 255 })).rejects.toThrow('2 prompt tokens + 255 steps exceed the model\'s context of 256 tokens.');
    await expect(decodeTimeline(model, [1, 2], { steps: 1, head: 2 })).rejects.toThrow('head 2 is outside [0, 2) (KV heads)');
    await expect(decodeTimeline(model, [], { steps: 1 })).rejects.toThrow('at least one prompt token');
  });

  test('the paged-memory figure\'s default stories (seeds 1-6, max 200 new tokens) end at end-of-text at different lengths', async () => {
    const prompt = tokenizer.encode(PAGED_PROMPT, { bos: true });
    expect(prompt).toHaveLength(27); // one full 16-token block to share, and 11 tokens in a partial one
    const lengths: number[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      const result = await generate(model, prompt, { maxNewTokens: 200, temperature: 1, seed, eosTokenId: 2 });
      expect(result.stopReason).toBe('eos');
      lengths.push(result.newIds.length);
    }
    expect(lengths).toEqual([148, 153, 139, 137, 148, 155]);
    const trace = lengths.map((newTokens) => ({ promptTokens: 27, newTokens, maxNewTokens: 200, group: 0 }));
    // contiguous: 6 x 227 reserved slots for 1042 tokens; 1024 slots hold 4 requests
    expect(contiguousLayout(trace).reservedSlots).toBe(6 * 227);
    expect(contiguousLayout(trace).usedSlots).toBe(6 * 27 + 880);
    expect(requestsThatFit(trace, 1024, { kind: 'contiguous' })).toBe(4);
    // paged in 16-token blocks, the first prompt block shared: 5 blocks fewer than unshared
    const shared = pagedLayout(trace, 16, { sharePrefix: true });
    const unshared = pagedLayout(trace, 16);
    expect(unshared.allocatedBlocks - shared.allocatedBlocks).toBe(5);
    expect(shared.copies).toBe(5);
    expect(requestsThatFit(trace, 1024, { kind: 'paged', blockSize: 16, sharePrefix: true })).toBe(6);
  });
});

describe('the decodeTimeline op', () => {
  let model: LlamaModel;
  beforeAll(async () => {
    await useBackend('cpu');
    ({ model } = loadChapterModel());
  });
  afterAll(() => model.dispose());

  test('streams every step and stops when step() says so', async () => {
    const seen: number[] = [];
    let calls = 0;
    const result = await decodeTimelineOf(model, [1, 403, 1030], { steps: 5, layer: 1, head: 0 }, (step) => seen.push(step.cachedTokens), async () => ++calls < 3);
    expect(seen).toEqual([4, 5, 6]);
    expect(result.steps).toHaveLength(3);
    expect(result.contents.values).toHaveLength(6);
    expect(result.steps.every((step) => step.recomputeMs === undefined)).toBe(true);
  });

  test('refuses more than 250 steps', async () => {
    await expect(decodeTimelineOf(model, [1], { steps: 251 })).rejects.toThrow('decodeTimeline: steps must be a whole number from 0 to 250. Received 251.');
  });
});

describe('beams and their caches', () => {
  test('beamMemory on hand-drawn beams: a block is shared while the beams agree up to its last slot', () => {
    // blocks of 4: all three share [1,2,3,4]; the second blocks differ: 4 blocks, 1 shared
    expect(beamMemory([[1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 7], [1, 2, 3, 4, 8, 9]], 4)).toEqual({ contiguousSlots: 18, blocks: 4, sharedBlocks: 1, pagedSlots: 16 });
    // blocks of 2: [1,2] and [3,4] shared, the last (partial) blocks copied on write
    expect(beamMemory([[1, 2, 3, 4, 5], [1, 2, 3, 4, 6]], 2)).toEqual({ contiguousSlots: 10, blocks: 4, sharedBlocks: 2, pagedSlots: 8 });
    // one beam: nothing shared, its partial block still a whole block
    expect(beamMemory([[1, 2, 3]], 16)).toEqual({ contiguousSlots: 3, blocks: 1, sharedBlocks: 0, pagedSlots: 16 });
    expect(() => beamMemory([[1]], 0)).toThrow('beamMemory: blockSize must be a whole number >= 1. Received 0.');
  });

  test('beamPaths: per-token log-probabilities from the steps, live beams then finished ones', () => {
    const steps = [
      { step: 1, beams: [{ tokens: [5], logProb: -0.5, parent: 0 }, { tokens: [6], logProb: -1, parent: 0 }], finished: [] },
      { step: 2, beams: [{ tokens: [6, 7], logProb: -1.25, parent: 1 }, { tokens: [5, 8], logProb: -2, parent: 0 }], finished: [{ tokens: [5, 2], score: -0.75 }] },
    ];
    expect(beamPaths(steps, 2)).toEqual([
      { name: 'beam 1', ids: [6, 7], logProbs: [-1, -0.25] },
      { name: 'beam 2', ids: [5, 8], logProbs: [-0.5, -1.5] },
      { name: 'finished 1', ids: [5, 2], logProbs: [-0.5, -1] },
    ]);
    expect(beamPaths(steps, 1).map((p) => p.name)).toEqual(['beam 1', 'beam 2']);
    expect(() => beamPaths(steps, 3)).toThrow('beamPaths: step must be a whole number from 1 to 2. Received 3.');
  });

  test('the beam figure names the copied rows and shows the last step for 0 or a step past the end', () => {
    expect(copiedNote([2, 0, 0, 1])).toBe(' (row 1 serves 2 beams, so it is copied)');
    expect(copiedNote([0, 0, 1, 1, 1])).toBe(' (row 1 serves 2 beams and row 2 serves 3 beams, so they are copied)');
    expect(copiedNote([3, 1, 0, 2])).toBe('');
    expect([shownStep(0, 12), shownStep(5, 12), shownStep(20, 12)]).toEqual([12, 5, 12]);
  });

  describe('on the shipped model (the chapter\'s beam figure)', () => {
    let model: LlamaModel;
    let tokenizer: Tokenizer;
    beforeAll(async () => {
      await useBackend('wasm');
      ({ model, tokenizer } = loadChapterModel());
    });
    afterAll(() => model.dispose());

    test('4 beams, 12 tokens: the beam that was third at step 9 leads at step 10, and wins', async () => {
      const prompt = tokenizer.encode(BEAMS_PROMPT, { bos: true });
      expect(prompt).toHaveLength(19);
      const result = await beamSearchOf(model, prompt, { numBeams: 4, maxNewTokens: 12 });
      const text = (step: number) => result.steps[step - 1].beams.map((beam) => tokenizer.decode(beam.tokens));
      expect(result.steps).toHaveLength(12);
      expect(text(1)).toEqual(['wanted', 'her', 'Her', 'She']);
      expect(result.steps[0].beams.map((beam) => beam.parent)).toEqual([0, 0, 0, 0]);
      expect(result.steps[0].beams[0].logProb).toBeCloseTo(-0.049, 3);
      expect(text(9)).toEqual([
        'wanted to build a little house with her friend',
        'wanted to build a sand castle with her friend',
        'wanted to build a snowman. Lily',
        'wanted to build a boat with her friend L',
      ]);
      expect(text(10)[0]).toBe('wanted to build a snowman. Lily had');
      expect(result.steps[9].beams[0].parent).toBe(2);
      expect(result.steps[9].beams[0].logProb).toBeCloseTo(-2.667, 3);
      expect(result.steps[9].beams[1].logProb).toBeCloseTo(-4.412, 3);
      // three of the four beams of step 10 extend the same row: the cache's rows are copied
      expect(result.steps[9].beams.map((beam) => beam.parent)).toEqual([2, 0, 0, 1]);
      expect(tokenizer.decode(result.newIds)).toBe('wanted to build a snowman. Lily had a friend');
      expect(result.score).toBeCloseTo(-3.557 / 12, 3);
      expect(result.stopReason).toBe('length');
      // greedy takes the most likely token each step and ends elsewhere
      const greedy = await generate(model, prompt, { maxNewTokens: 12, temperature: 0 });
      expect(tokenizer.decode(greedy.newIds)).toMatch(/^wanted to build a little house with her friend/);
      // the caches after step 12: 4 x 31 slots, or 5 blocks of 16 (the prompt's first block shared), or 15 of 4
      const sequences = result.steps[11].beams.map((beam) => [...prompt, ...beam.tokens]);
      expect(beamMemory(sequences, 16)).toEqual({ contiguousSlots: 124, blocks: 5, sharedBlocks: 1, pagedSlots: 80 });
      expect(beamMemory(sequences, 4)).toEqual({ contiguousSlots: 124, blocks: 15, sharedBlocks: 7, pagedSlots: 60 });
    });

    test('beamSearch refuses 1 or 9 beams and 65 tokens', async () => {
      await expect(beamSearchOf(model, [1], { numBeams: 1, maxNewTokens: 2 })).rejects.toThrow('beamSearch: numBeams must be a whole number from 2 to 8. Received 1.');
      await expect(beamSearchOf(model, [1], { numBeams: 9, maxNewTokens: 2 })).rejects.toThrow('Received 9.');
      await expect(beamSearchOf(model, [1], { numBeams: 2, maxNewTokens: 65 })).rejects.toThrow('beamSearch: maxNewTokens must be a whole number from 1 to 64. Received 65.');
    });
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  displayPiece,
  distinctN,
  distinctNCurve,
  logSoftmaxAt,
  meanLoss,
  pathTree,
  stageLogits,
  tokenLogProbs,
  topIds,
} from '../../src/chapters/decoding';
import { processLogits, type SamplingOptions } from '../../src/llama/sampling';

/** Logits whose softmax is the given probabilities. */
const logitsFrom = (probs: number[]) => Float32Array.from(probs.map(Math.log));

describe('stageLogits', () => {
  const probs = [0.5, 0.2, 0.15, 0.1, 0.05];

  test('names the processor that removed each token, in Hugging Face order', () => {
    // top-k 4 drops id 4; the survivors renormalise to [0.526, 0.211, 0.158, 0.105]; top-p 0.7
    // keeps the smallest top set reaching 0.7: {0, 1} (0.737); min-p 0.5 would then drop id 1
    // (0.286 < 0.5 * 0.714).
    const staged = stageLogits(logitsFrom(probs), [], { topK: 4, topP: 0.7, minP: 0.5 });
    expect(staged.removedBy).toEqual([null, 'min-p', 'top-p', 'top-p', 'top-k']);
    expect(Array.from(staged.probabilities)).toEqual([1, 0, 0, 0, 0]);
  });

  test('renormalises what survives: top-k 2 of [0.5, 0.2, ...] gives 5/7 and 2/7', () => {
    const staged = stageLogits(logitsFrom(probs), [], { topK: 2 });
    expect(staged.probabilities[0]).toBeCloseTo(5 / 7, 6);
    expect(staged.probabilities[1]).toBeCloseTo(2 / 7, 6);
    expect(staged.rawProbabilities[0]).toBeCloseTo(0.5, 6);
  });

  test('top-k keeps every token tied with the k-th', () => {
    const staged = stageLogits(Float32Array.from([3, 1, 1, 1, 0]), [], { topK: 2 });
    expect(staged.removedBy).toEqual([null, null, null, null, 'top-k']);
  });

  test('top-p keeps at least the most likely token, even when it alone exceeds p', () => {
    const staged = stageLogits(logitsFrom([0.9, 0.06, 0.04]), [], { topP: 0.01 });
    expect(staged.removedBy).toEqual([null, 'top-p', 'top-p']);
  });

  test('temperature 0 is greedy: only the argmax survives, marked as removed by "greedy"', () => {
    const staged = stageLogits(logitsFrom(probs), [], { temperature: 0, topK: 3 });
    expect(staged.removedBy).toEqual([null, 'greedy', 'greedy', 'greedy', 'greedy']);
  });

  test('repetition penalty 2 halves a positive logit of a seen token: [2, 1] -> [1, 1]', () => {
    const staged = stageLogits(Float32Array.from([2, 1]), [0, 0], { repetitionPenalty: 2 });
    expect(Array.from(staged.processed)).toEqual([1, 1]);
    expect(staged.probabilities[0]).toBeCloseTo(0.5, 6);
  });

  test('repetition penalty follows Hugging Face, not CTRL: a negative logit is multiplied, [-1, 0] -> [-2, 0]', () => {
    // CTRL's rule (divide whatever the sign) would give -0.5 and make the seen token MORE likely.
    const staged = stageLogits(Float32Array.from([-1, 0]), [0], { repetitionPenalty: 2 });
    expect(Array.from(staged.processed)).toEqual([-2, 0]);
    expect(staged.probabilities[0]).toBeCloseTo(1 / (1 + Math.exp(2)), 6);
  });

  test('the staged result is exactly processLogits (the engine) for many option sets', () => {
    const logits = Float32Array.from([2.1, -0.3, 1.7, 0.2, 1.7, -2, 0.9, 3.3, -1, 0.05]);
    const previous = [0, 2, 7, 7];
    const cases: SamplingOptions[] = [
      {},
      { temperature: 0.7, topK: 5 },
      { temperature: 1.6, topP: 0.8, minP: 0.05 },
      { repetitionPenalty: 1.3, topK: 3, topP: 0.9 },
      { temperature: 0, repetitionPenalty: 1.5 },
      { typicalP: 0.6, temperature: 1.2 },
    ];
    for (const opts of cases) {
      expect(Array.from(stageLogits(logits, previous, opts).processed)).toEqual(Array.from(processLogits(logits, previous, opts)));
    }
  });

  test('bad options throw sampling.ts messages: k = 0, p = 0, negative temperature', () => {
    const logits = logitsFrom(probs);
    expect(() => stageLogits(logits, [], { topK: 0 })).toThrow('topK must be an integer >= 1. Received 0.');
    expect(() => stageLogits(logits, [], { topP: 0 })).toThrow('topP must be a number in (0, 1]');
    expect(() => stageLogits(logits, [], { temperature: -1 })).toThrow('temperature must be a number >= 0');
  });
});

describe('log-probabilities', () => {
  test('logSoftmaxAt is log of the softmax, also inside a longer array', () => {
    expect(logSoftmaxAt([0, 0, 0, 0], 2)).toBeCloseTo(Math.log(0.25), 14);
    expect(logSoftmaxAt([9, 9, Math.log(3), 0], 0, 2, 2)).toBeCloseTo(Math.log(0.75), 14);
  });

  test('tokenLogProbs reads row t - 1 for token t; meanLoss is minus their mean', () => {
    const vocab = 2;
    // row 0 predicts token 1, row 1 predicts token 2.
    const logits = [Math.log(3), 0, 0, Math.log(4)];
    const values = tokenLogProbs(logits, vocab, [1, 0, 1]);
    expect(values[0]).toBeCloseTo(Math.log(0.75), 12);
    expect(values[1]).toBeCloseTo(Math.log(0.8), 12);
    expect(meanLoss(values)).toBeCloseTo(-(Math.log(0.75) + Math.log(0.8)) / 2, 12);
  });

  test('topIds sorts by value, lower id first on ties', () => {
    expect(topIds([0.1, 0.5, 0.5, 0.2], 3)).toEqual([1, 2, 3]);
  });
});

describe('distinctN', () => {
  test('distinct n-grams over all n-grams', () => {
    expect(distinctN([1, 2, 3, 4], 2)).toBe(1);
    // a b a b a b: bigrams ab ba ab ba ab -> 2 distinct of 5
    expect(distinctN(['a', 'b', 'a', 'b', 'a', 'b'], 2)).toBe(0.4);
    expect(distinctN([7, 7, 7, 7], 1)).toBe(0.25);
    expect(distinctN([1], 2)).toBe(1);
  });

  test('the curve is distinctN of every prefix', () => {
    const tokens = [1, 2, 1, 2, 1, 3];
    const curve = distinctNCurve(tokens, 2);
    expect(curve.map((point) => point.length)).toEqual([2, 3, 4, 5, 6]);
    curve.forEach(({ length, value }) => expect(value).toBe(distinctN(tokens.slice(0, length), 2)));
  });
});

describe('pathTree', () => {
  test('shares common prefixes and sums log-probabilities along each path', () => {
    const tree = pathTree([
      { name: 'greedy', ids: [5, 6, 7], logProbs: [-0.1, -0.2, -0.3] },
      { name: 'beam', ids: [5, 8], logProbs: [-0.1, -1] },
    ]);
    expect(tree.children).toHaveLength(1);
    const shared = tree.children[0];
    expect(shared.paths).toEqual(['greedy', 'beam']);
    expect(shared.children.map((child) => child.id)).toEqual([6, 8]);
    expect(shared.children[1].cumulativeLogProb).toBeCloseTo(-1.1, 12);
    expect(shared.children[0].children[0].cumulativeLogProb).toBeCloseTo(-0.6, 12);
    expect(shared.children[0].children[0].depth).toBe(3);
  });
});

test('displayPiece shows spaces, newlines and printable bytes', () => {
  expect(displayPiece('\u2581the')).toBe('␣the');
  expect(displayPiece('<0x0A>')).toBe('↵');
  expect(displayPiece('<0x41>')).toBe('A');
  expect(displayPiece('<0xE4>')).toBe('<0xE4>');
});

describe('the widgets pass options the engine accepts', () => {
  test('next-token bars: added tokens from the link are checked against the vocabulary', async () => {
    const { parseAdded, samplingOptions, schema } = await import('../../components/NextTokenBars');
    expect(parseAdded('', 10)).toEqual([]);
    expect(parseAdded('3, 9', 10)).toEqual([3, 9]);
    expect(parseAdded('3,10', 10)).toBeNull();
    expect(parseAdded('3,x', 10)).toBeNull();
    const defaults = Object.fromEntries(Object.entries(schema).map(([name, setting]) => [name, setting.default])) as never;
    // Hugging Face's sampling defaults: T = 1, top_k = 50, top_p = 1, no min-p, typical off, no penalty.
    expect(samplingOptions(defaults)).toEqual({ temperature: 1, topK: 50, topP: 1, minP: 0, typicalP: 1, repetitionPenalty: 1 });
  });

  test('beam tree and degeneration ask for beam search, greedy and seeded samples', async () => {
    const { decoders } = await import('../../components/BeamTree');
    const { strategies } = await import('../../components/Degeneration');
    const paths = decoders({ prompt: 'x', beams: 4, samples: 2, length: 5, seed: 7 });
    expect(paths.map((path) => path.name)).toEqual(['beam search (4 beams)', 'greedy', 'sample, seed 7', 'sample, seed 8']);
    expect(paths[0].options.numBeams).toBe(4);
    const ways = strategies({ prompt: 'x', length: 50, lowTemperature: 0.3, topP: 0.9, n: 2, seed: 1 });
    expect(ways.map((way) => way.options)).toEqual([{ temperature: 0 }, { temperature: 0.3, seed: 1 }, { temperature: 1, topP: 0.9, seed: 1 }]);
  });
});

describe('the shipped model backs the chapter', () => {
  let chapter: import('./helpers/chapter-model').ChapterModel;
  beforeAll(async () => {
    const { useBackend } = await import('./helpers/backends');
    const { loadChapterModel } = await import('./helpers/chapter-model');
    await useBackend('wasm');
    chapter = loadChapterModel();
  }, 60_000);
  afterAll(() => chapter?.model.dispose());

  /** The next-token logits after `prompt` (with BOS), as the next-token bars compute them. */
  async function nextLogits(prompt: string): Promise<{ ids: number[]; logits: Float32Array }> {
    const ids = chapter.tokenizer.encode(prompt);
    const { logits } = await chapter.model.run([ids]);
    const vocab = logits.shape[2];
    return { ids, logits: Float32Array.from(logits.data.subarray((ids.length - 1) * vocab, ids.length * vocab)) };
  }

  test('the bars\' default prompt spreads the mass over six tokens, so top-p, min-p and typical each cut some of them', async () => {
    const { schema } = await import('../../components/NextTokenBars');
    const { ids, logits } = await nextLogits(schema.prompt.default);
    const base = { temperature: 1, topK: 50 };
    const raw = stageLogits(logits, ids, base).rawProbabilities;
    const pieces = (list: number[]) => list.map((id) => chapter.tokenizer.idToPiece(id));
    const top = topIds(raw, 6);
    expect(pieces(top)).toEqual(['\u2581little', '\u2581happy', '\u2581kind', '\u2581small', '\u2581girl', '\u2581boy']);
    // the shares the chapter's prose and text alternative state
    expect(top.map((id) => Math.round(100 * raw[id]))).toEqual([24, 23, 17, 16, 10, 10]);
    let entropy = 0;
    for (const p of raw) if (p > 0) entropy -= p * Math.log(p);
    expect(entropy).toBeCloseTo(1.76, 2);
    const cutAmongTop = (opts: SamplingOptions) => {
      const staged = stageLogits(logits, ids, { ...base, ...opts });
      return pieces(top.filter((id) => staged.removedBy[id] !== null));
    };
    // top-p 0.8: little + happy + kind + small = 80.2% reach 0.8, girl and boy go.
    expect(cutAmongTop({ topP: 0.8 })).toEqual(['\u2581girl', '\u2581boy']);
    // min-p 0.5: the bar is half of little's 23.8%; girl (10.0%) and boy (9.6%) are under it.
    expect(cutAmongTop({ minP: 0.5 })).toEqual(['\u2581girl', '\u2581boy']);
    // typical 0.5: the entropy is 1.76 nats; kind, small and happy are closest to it in surprise,
    // so the most likely token, little, is cut as too predictable (with girl and boy).
    expect(cutAmongTop({ typicalP: 0.5 })).toEqual(['\u2581little', '\u2581girl', '\u2581boy']);
  });

  test('degeneration: greedy has the lowest distinct-2 at the figure\'s defaults for seeds 1 to 5; which sampler is next depends on the seed', async () => {
    const { schema, strategies } = await import('../../components/Degeneration');
    const { generate } = await import('../../src/llama/generate');
    const ids = chapter.tokenizer.encode(schema.prompt.default);
    const state = { prompt: schema.prompt.default, length: schema.length.default, lowTemperature: schema.lowTemperature.default, topP: schema.topP.default, n: 2, seed: 0 };
    const distinct2 = async (seed: number) => {
      const values: number[] = [];
      for (const strategy of strategies({ ...state, seed })) {
        const result = await generate(chapter.model, ids, { maxNewTokens: state.length, ...strategy.options });
        expect(result.newIds).toHaveLength(120);
        values.push(distinctN(result.newIds, 2));
      }
      return values; // greedy, low temperature, top-p
    };
    const bySeed = [];
    for (let seed = 1; seed <= 5; seed++) bySeed.push(await distinct2(seed));
    const greedy = bySeed[0][0];
    expect(greedy).toBeCloseTo(0.765, 3); // repeats, but no word-for-word loop
    for (const [greedyAgain, low, nucleus] of bySeed) {
      expect(greedyAgain).toBe(greedy); // greedy ignores the seed
      expect(low).toBeGreaterThan(greedy);
      expect(nucleus).toBeGreaterThan(greedy);
    }
    // Seed 1 (the figure's default): top-p 0.815 < temperature 0.3 0.824; seed 2: the reverse.
    expect(bySeed[0][2]).toBeLessThan(bySeed[0][1]);
    expect(bySeed[1][2]).toBeGreaterThan(bySeed[1][1]);
  }, 240_000);
});

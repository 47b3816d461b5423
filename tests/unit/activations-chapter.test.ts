import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  ACTIVATION_SWAP_LOSS,
  activationFunction,
  gatedProduct,
  topTokenShare,
  unitTopContexts,
  erf,
  gelu,
  GELU_SIGMOID_BETA,
  geluMinimum,
  geluDerivative,
  histogram,
  llamaIntermediateSize,
  lossChangeFromSilu,
  mlpParameters,
  negativeShare,
  relu,
  silu,
  siluMinimum,
  swish,
  swishDerivative,
  swishMinimum,
} from '../../src/chapters/activations';

/** Central difference, for checking derivatives written by hand. */
const numericDerivative = (f: (x: number) => number, x: number, h = 1e-5) => (f(x + h) - f(x - h)) / (2 * h);

describe('siluMinimum', () => {
  test('Newton finds x* = -1.2785 with SiLU(x*) = -0.2785 (to 1e-4)', () => {
    const { x, value, steps } = siluMinimum();
    expect(x).toBeCloseTo(-1.2785, 4);
    expect(value).toBeCloseTo(-0.2785, 4);
    expect(steps).toBeLessThan(10);
  });

  test('at the minimum SiLU(x*) = x* + 1 and x* = -1 - W(1/e), W(1/e) = 0.2784645427610738', () => {
    const { x, value } = siluMinimum();
    expect(value).toBeCloseTo(x + 1, 12);
    // W(1/e) e^{W(1/e)} = 1/e defines the Lambert W value.
    const w = 0.2784645427610738;
    expect(w * Math.exp(w)).toBeCloseTo(Math.exp(-1), 15);
    expect(x).toBeCloseTo(-1 - w, 12);
  });

  test('it is the minimum: a dense grid on [-6, 6] finds nothing lower', () => {
    const { value } = siluMinimum();
    let lowest = Infinity;
    for (let x = -6; x <= 6; x += 0.001) lowest = Math.min(lowest, silu(x));
    expect(lowest).toBeGreaterThanOrEqual(value);
    expect(lowest - value).toBeLessThan(1e-6);
  });

  test('swish_beta has its minimum at x*/beta with value SiLU(x*)/beta; beta 0 has none', () => {
    const minimum = swishMinimum(2)!;
    expect(minimum.x).toBeCloseTo(-1.2785 / 2, 4);
    expect(swish(minimum.x, 2)).toBeCloseTo(minimum.value, 12);
    expect(minimum.value).toBeCloseTo(-0.2785 / 2, 4);
    expect(swishMinimum(0)).toBeNull();
  });
});

describe('swish', () => {
  test('beta = 0 is x/2, beta = 1 is x sigmoid(x), large beta tends to ReLU', () => {
    expect(swish(3, 0)).toBe(1.5);
    expect(swish(-3, 0)).toBe(-1.5);
    expect(silu(2)).toBeCloseTo(2 / (1 + Math.exp(-2)), 15);
    for (const x of [-2, -0.5, 0.5, 2]) expect(Math.abs(swish(x, 1000) - relu(x))).toBeLessThan(1e-6);
  });

  test('does not overflow for large |beta x|', () => {
    expect(swish(-1000, 1)).toBeCloseTo(0, 12);
    expect(swish(1000, 1)).toBe(1000);
  });

  test('the derivative formula matches a central difference', () => {
    for (const beta of [0, 0.5, 1, 3]) {
      for (const x of [-4, -1.2785, -0.3, 0, 0.7, 3]) {
        expect(swishDerivative(x, beta)).toBeCloseTo(numericDerivative((t) => swish(t, beta), x), 7);
      }
    }
    expect(swishDerivative(0, 1)).toBe(0.5);
  });

  test('non-monotonic: the derivative is negative left of the minimum and positive right of it', () => {
    expect(swishDerivative(-2, 1)).toBeLessThan(0);
    expect(swishDerivative(-1, 1)).toBeGreaterThan(0);
  });
});

describe('gelu', () => {
  test('erf against tabulated values', () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 14);
    expect(erf(-2)).toBeCloseTo(-0.9953222650189527, 14);
  });

  test('GELU(1) = Phi(1) = 0.8413, and its derivative matches a central difference', () => {
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 12);
    for (const x of [-3, -0.75, 0, 1.5]) expect(geluDerivative(x)).toBeCloseTo(numericDerivative(gelu, x), 7);
  });

  test('GELU has a shallower minimum: -0.1700 at x = -0.7518', () => {
    const { x, value } = geluMinimum();
    expect(x).toBeCloseTo(-0.7518, 4);
    expect(value).toBeCloseTo(-0.17, 4);
    expect(geluDerivative(x)).toBeCloseTo(0, 12);
  });

  test('swish with beta 1.702 stays within 0.021 of GELU', () => {
    let worst = 0;
    for (let x = -8; x <= 8; x += 0.01) worst = Math.max(worst, Math.abs(swish(x, GELU_SIGMOID_BETA) - gelu(x)));
    expect(worst).toBeLessThan(0.021);
    expect(worst).toBeGreaterThan(0.01);
  });
});

describe('llamaIntermediateSize', () => {
  test('the 8/3 rule rounded up to 256 gives 11008 for 7B (d = 4096) and 13824 for 13B (d = 5120)', () => {
    expect(llamaIntermediateSize(4096)).toBe(11008);
    expect(llamaIntermediateSize(5120)).toBe(13824);
  });

  test('SwiGLU at F = 8d/3 has the parameters of a classic 4d MLP', () => {
    const d = 768; // 8d/3 = 2048 exactly
    expect(mlpParameters(d, (8 * d) / 3, true)).toBe(mlpParameters(d, 4 * d, false));
  });

  test('our model rounds to multiples of 32: d = 128 gives floor(341.3) = 341, rounded up to 352', () => {
    expect(llamaIntermediateSize(128, 32)).toBe(352);
    expect(llamaIntermediateSize(96, 32)).toBe(256);
  });

  test('the shipped model config follows the rule', () => {
    const path = new URL('../../public/models/glass-llama/config.json', import.meta.url);
    const config = JSON.parse(readFileSync(path, 'utf8')) as { hidden_size: number; intermediate_size: number };
    expect(config.intermediate_size).toBe(llamaIntermediateSize(config.hidden_size, 32));
  });

  test('Llama 2 70B: 28672 needs ffn_dim_multiplier 1.3 and multiple_of 4096 together', () => {
    // floor(8 * 8192 / 3) = 21845; floor(1.3 * 21845) = 28398; rounded up to 4096: 7 * 4096.
    expect(llamaIntermediateSize(8192, 4096, 1.3)).toBe(28672);
    expect(llamaIntermediateSize(8192, 256, 1.3)).toBe(28416); // the multiplier alone
    expect(llamaIntermediateSize(8192, 4096)).toBe(24576); // multiple_of alone
    expect(llamaIntermediateSize(8192)).toBe(22016); // neither
  });
});

describe('swapping the activation of the shipped model (validation sample)', () => {
  test('GELU and ReLU change the validation loss by under 1%; a linear MLP (swish beta 0) by over 40%', async () => {
    const { useBackend } = await import('./helpers/backends');
    const { loadChapterModel } = await import('./helpers/chapter-model');
    const { meanLoss, tokenLogProbs } = await import('../../src/chapters/decoding');
    await useBackend('wasm');
    const { model, tokenizer } = loadChapterModel();
    const texts = (JSON.parse(readFileSync(new URL('../../public/data/validation-sample.json', import.meta.url), 'utf8')) as { texts: string[] }).texts;
    const options = { silu: 'silu', gelu: 'gelu', relu: 'relu', linear: { name: 'swish', beta: 0 } } as const;
    try {
      const measured: Record<string, number> = {};
      for (const [name, activation] of Object.entries(options)) {
        const logProbs: number[] = [];
        for (const text of texts) {
          const ids = tokenizer.encode(text);
          const { logits } = await model.run([ids], { activation });
          logProbs.push(...tokenLogProbs(logits.data, logits.shape[2], ids));
        }
        expect(logProbs.length).toBe(1518);
        measured[name] = meanLoss(logProbs);
      }
      for (const name of Object.keys(options) as (keyof typeof options)[]) {
        expect(measured[name], name).toBeCloseTo(ACTIVATION_SWAP_LOSS[name], 3);
      }
    } finally {
      model.dispose();
    }
    expect(Math.abs(lossChangeFromSilu('gelu'))).toBeLessThan(0.01);
    expect(Math.abs(lossChangeFromSilu('relu'))).toBeLessThan(0.01);
    expect(lossChangeFromSilu('relu')).toBeGreaterThan(0);
    expect(lossChangeFromSilu('linear')).toBeGreaterThan(0.4);
  }, 120_000);
});

describe('one hidden unit (the mlp-unit figure)', () => {
  test('unitTopContexts on a hand table: two stories, three units, largest and most negative, ties in reading order', () => {
    // story 0: positions 0, 1; story 1: positions 0, 1, 2; three units each
    const rows = [Float32Array.from([1, 5, -2, 3, 0, 7]), Float32Array.from([3, -4, 1, 0, 9, -8, 2, 2, 2])];
    expect(unitTopContexts(rows, 3, 0, 3)).toEqual([
      { row: 0, position: 1, value: 3 },
      { row: 1, position: 0, value: 3 },
      { row: 1, position: 2, value: 2 },
    ]);
    expect(unitTopContexts(rows, 3, 2, 2, -1)).toEqual([
      { row: 1, position: 1, value: -8 },
      { row: 0, position: 0, value: -2 },
    ]);
    expect(() => unitTopContexts(rows, 3, 3, 1)).toThrow('unit must be a whole number from 0 to 2. Received 3.');
  });

  test('topTokenShare and gatedProduct', () => {
    expect(topTokenShare(['a', 'b', 'a', 'c'])).toEqual({ token: 'a', share: 0.5 });
    expect(topTokenShare([])).toEqual({ token: '', share: 0 });
    expect(Array.from(gatedProduct(Float32Array.from([1, -0.5, 2]), Float32Array.from([3, 4, -1])))).toEqual([3, -2, -2]);
  });

  test('on the shipped model: layer 2 unit 291 fires on names, any name; single-token units thin out with depth', async () => {
    const { useBackend } = await import('./helpers/backends');
    const { loadChapterModel } = await import('./helpers/chapter-model');
    await useBackend('wasm');
    const { model, tokenizer } = loadChapterModel();
    const texts = (JSON.parse(readFileSync(new URL('../../public/data/validation-sample.json', import.meta.url), 'utf8')) as { texts: string[] }).texts;
    const stories = texts.map((text) => tokenizer.encode(text));
    const width = model.config.intermediate_size;
    const productsOf = async (layer: number) => {
      const rows: Float32Array[] = [];
      for (const ids of stories) {
        const { taps } = await model.run([ids], { taps: [`layers.${layer}.mlp.act`, `layers.${layer}.mlp.up`] });
        rows.push(gatedProduct(taps[`layers.${layer}.mlp.act`].data, taps[`layers.${layer}.mlp.up`].data));
      }
      return rows;
    };
    const topTokens = (rows: Float32Array[], unit: number) => unitTopContexts(rows, width, unit, 12).map((c) => tokenizer.pieces[stories[c.row][c.position]]);
    const singleTokenUnits = (rows: Float32Array[]) => Array.from({ length: width }, (_, unit) => topTokenShare(topTokens(rows, unit)).share).filter((share) => share === 1).length;
    try {
      expect(width).toBe(352);
      const layer2 = await productsOf(2);
      const names = topTokens(layer2, 291);
      expect(names).toEqual(['▁Viv', '▁Julia', '▁Max', '▁Ann', '▁Max', '▁Viv', '▁Maria', '▁Max', '▁Maria', '▁Nell', '▁Pedro', '▁Pedro']);
      expect(new Set(names).size).toBe(7);
      // the figure's default prompt: its three names have the unit's three largest values
      const prompt = tokenizer.encode('One day, Max and Ruby went to the park with their friend Pedro.');
      const { taps } = await model.run([prompt], { taps: ['layers.2.mlp.act', 'layers.2.mlp.up'] });
      const onPrompt = unitTopContexts([gatedProduct(taps['layers.2.mlp.act'].data, taps['layers.2.mlp.up'].data)], width, 291, 3);
      expect(onPrompt.map((c) => tokenizer.pieces[prompt[c.position]]).sort()).toEqual(['▁Max', '▁Pedro', '▁Ruby']);
      const layer0 = await productsOf(0);
      expect(singleTokenUnits(layer0)).toBe(24);
      expect(singleTokenUnits(await productsOf(3))).toBe(9);
      // layer 0 unit 67 is one of them: "▁The" in all twelve
      expect(topTokens(layer0, 67)).toEqual(Array(12).fill('▁The'));
    } finally {
      model.dispose();
    }
  }, 180_000);
});

describe('histogram and negativeShare', () => {
  test('counts values into equal bins, clamping the ends', () => {
    // bins [-2, -1), [-1, 0), [0, 1), [1, 2]: -5 is clamped into the first, 9 into the last.
    const bins = histogram([-5, -1, -0.5, 0, 0.5, 9], 4, -2, 2);
    expect(bins.map((bin) => bin.count)).toEqual([1, 2, 2, 1]);
    expect(bins[0].x0).toBe(-2);
    expect(bins[3].x1).toBe(2);
  });

  test('share of strictly negative values', () => {
    expect(negativeShare([-1, 0, 2, -0.1])).toBe(0.5);
    expect(negativeShare([])).toBe(0);
  });
});

describe('the chapter curves are the engine activations', () => {
  test('the engine mlp.act tap equals activationFunction(name) applied to mlp.gate, for every swappable activation', async () => {
    const { useNodeBackend } = await import('../../scripts/load-model');
    const { tinyConfig, tinyWeights } = await import('../../scripts/make-tiny-model');
    const { LlamaModel } = await import('../../src/llama/model');
    const { activationOption } = await import('../../components/MlpInside');
    await useNodeBackend('cpu');
    const config = tinyConfig();
    const model = LlamaModel.fromWeights(config, tinyWeights(config, 2));
    try {
      for (const [name, beta] of [['silu', 1], ['relu', 1], ['gelu', 1], ['swish', 2.5]] as const) {
        const { taps } = await model.run([[1, 75, 104, 111]], { taps: ['layers.1.mlp.gate', 'layers.1.mlp.act'], activation: activationOption(name, beta) });
        const gate = taps['layers.1.mlp.gate'].data;
        const act = taps['layers.1.mlp.act'].data;
        const f = activationFunction(name, beta);
        let worst = 0;
        for (let i = 0; i < gate.length; i++) worst = Math.max(worst, Math.abs(act[i] - f(gate[i])));
        expect(worst, name).toBeLessThan(1e-5);
      }
    } finally {
      model.dispose();
    }
  });
});

// The sparse attention chapter's masks (src/chapters/sparseAttention.ts) against masks drawn by
// hand from each paper's definition, their pair counts against the masks, and against the
// engine's own pattern rule (causalPatternMask) where the two describe the same pattern.
import { describe, expect, test } from 'vitest';
import {
  causalPairs,
  checkSettings,
  densityOver,
  maskPairs,
  meanRowLoss,
  patternDensity,
  patternMask,
  patternPairs,
  settingsOf,
  SPARSE_PATTERNS,
  SWEEP_SETTINGS,
  type PatternSettings,
} from '../../src/chapters/sparseAttention';
import { slidingWindowMask } from '../../src/chapters/rope';
import { causalPatternMask } from '../../src/llama/attention';

/** A mask drawn as rows of '1' and '.', one string per query; keys past the row's end are 0. */
function drawn(rows: string[]): number[][] {
  const n = rows.length;
  return rows.map((row) => Array.from({ length: n }, (_, key) => (row[key] === '1' ? 1 : 0)));
}

describe('each pattern against a mask drawn by hand', () => {
  test('full: the causal triangle', () => {
    expect(patternMask(4, settingsOf({ pattern: 'full' }))).toEqual(drawn(['1', '11', '111', '1111']));
  });

  test('sliding window w = 2: each query sees itself and the token before', () => {
    expect(patternMask(5, settingsOf({ pattern: 'window', window: 2 }))).toEqual(drawn([
      '1',
      '11',
      '.11',
      '..11',
      '...11',
    ]));
  });

  test('strided l = 2 (Child et al.): the last l + 1 keys, and every l-th key before them', () => {
    expect(patternMask(7, settingsOf({ pattern: 'strided', stride: 2 }))).toEqual(drawn([
      '1',
      '11',
      '111',
      '.111',
      '1.111',
      '.1.111',
      '1.1.111',
    ]));
  });

  test('fixed l = 3, c = 1 (Child et al.): its own block, and the last key of each earlier block', () => {
    expect(patternMask(7, settingsOf({ pattern: 'fixed', stride: 3, summary: 1 }))).toEqual(drawn([
      '1',
      '11',
      '111',
      '..11',
      '..111',
      '..1111',
      '..1..11',
    ]));
  });

  test('fixed l = 4, c = 2: the last two keys of each earlier block', () => {
    expect(patternMask(9, settingsOf({ pattern: 'fixed', stride: 4, summary: 2 }))).toEqual(drawn([
      '1',
      '11',
      '111',
      '1111',
      '..111',
      '..1111',
      '..11111',
      '..111111',
      '..11..111',
    ]));
  });

  test('longformer w = 2, g = 1: the window, and the first token seen by every query', () => {
    expect(patternMask(5, settingsOf({ pattern: 'longformer', window: 2, global: 1 }))).toEqual(drawn([
      '1',
      '11',
      '111',
      '1.11',
      '1..11',
    ]));
  });

  test('longformer w = 1, g = 2: a global query sees every key before it', () => {
    expect(patternMask(5, settingsOf({ pattern: 'longformer', window: 1, global: 2 }))).toEqual(drawn([
      '1',
      '11',
      '111',
      '11.1',
      '11..1',
    ]));
  });

  test('bigbird w = 1, g = 1, r = 1: the longformer mask plus exactly one hidden key per row, seeded', () => {
    const settings = settingsOf({ pattern: 'bigbird', window: 1, global: 1, random: 1, seed: 7 });
    const mask = patternMask(8, settings);
    const base = patternMask(8, { ...settings, random: 0 });
    expect(base).toEqual(drawn(['1', '11', '1.1', '1..1', '1...1', '1....1', '1.....1', '1......1']));
    const added = mask.map((row, q) => row.map((cell, k) => cell - base[q][k]));
    // rows 0 and 1 have nothing hidden; every later row gains one key, always an earlier hidden one
    expect(added.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([0, 0, 1, 1, 1, 1, 1, 1]);
    for (const [q, row] of added.entries()) row.forEach((cell, k) => cell === 1 && expect(k > 0 && k < q).toBe(true));
    expect(patternMask(8, settings)).toEqual(mask); // same seed, same mask
    const others = [1, 2, 3, 4].map((seed) => patternMask(8, { ...settings, seed }));
    expect(others.some((other) => JSON.stringify(other) !== JSON.stringify(mask))).toBe(true);
  });

  test('bigbird asks for more random keys than are hidden: it takes all of them', () => {
    const mask = patternMask(4, settingsOf({ pattern: 'bigbird', window: 1, global: 0, random: 10 }));
    expect(mask).toEqual(drawn(['1', '11', '111', '1111']));
  });
});

describe('the same rules as the engine and the RoPE chapter', () => {
  const flat = (m: number[][]) => Float32Array.from(m.flat());
  test('window w is the engine\'s slidingWindow w and the RoPE chapter\'s slidingWindowMask', () => {
    for (const w of [1, 3, 8]) {
      expect(flat(patternMask(12, settingsOf({ pattern: 'window', window: w })))).toEqual(causalPatternMask(12, 0, { slidingWindow: w }));
      expect(patternMask(12, settingsOf({ pattern: 'window', window: w }))).toEqual(slidingWindowMask(12, w));
    }
  });
  test('strided l is the engine\'s stride l with a window of l + 1; longformer is its window with globalTokens 0..g-1', () => {
    for (const l of [2, 3, 5]) {
      expect(flat(patternMask(17, settingsOf({ pattern: 'strided', stride: l })))).toEqual(causalPatternMask(17, 0, { slidingWindow: l + 1, stride: l }));
    }
    expect(flat(patternMask(15, settingsOf({ pattern: 'longformer', window: 3, global: 2 })))).toEqual(
      causalPatternMask(15, 0, { slidingWindow: 3, globalTokens: [0, 1] }),
    );
  });
});

describe('cost and density', () => {
  const cases: PatternSettings[] = [
    settingsOf({ pattern: 'full' }),
    ...[1, 2, 5, 16, 40].map((window) => settingsOf({ pattern: 'window', window })),
    ...[1, 2, 3, 7, 16].map((stride) => settingsOf({ pattern: 'strided', stride })),
    ...[[1, 1], [3, 1], [4, 2], [8, 3], [8, 8]].map(([stride, summary]) => settingsOf({ pattern: 'fixed', stride, summary })),
    ...[[1, 0], [2, 1], [5, 3], [3, 9]].map(([window, global]) => settingsOf({ pattern: 'longformer', window, global })),
    ...[[1, 1, 1], [2, 1, 3], [4, 4, 4], [1, 0, 30]].map(([window, global, random]) => settingsOf({ pattern: 'bigbird', window, global, random })),
  ];
  test('patternPairs, counted from the rule, equals the pairs of the mask, for every length', () => {
    for (const settings of cases) {
      for (const n of [1, 2, 5, 13, 40]) expect(patternPairs(n, settings), `${JSON.stringify(settings)}, n = ${n}`).toBe(maskPairs(patternMask(n, settings)));
    }
  });

  test('full attention keeps N (N + 1) / 2 pairs; a window of w keeps w (w + 1) / 2 + (N - w) w', () => {
    expect(causalPairs(256)).toBe(32_896);
    expect(patternPairs(256, settingsOf({ pattern: 'full' }))).toBe(32_896);
    expect(patternPairs(256, settingsOf({ pattern: 'window', window: 16 }))).toBe(136 + 240 * 16);
    expect(patternDensity(256, settingsOf({ pattern: 'full' }))).toBe(1);
    expect(patternDensity(10, settingsOf({ pattern: 'window', window: 10 }))).toBe(1);
  });

  test('strided keeps about N (l + N/2l) pairs, 1.5 N sqrt(N) at l = sqrt(N); the window grows linearly in N, full attention quadratically', () => {
    for (const n of [1024, 4096, 16_384]) {
      const l = Math.sqrt(n);
      const strided = patternPairs(n, settingsOf({ pattern: 'strided', stride: l }));
      expect(strided / (1.5 * n * l)).toBeGreaterThan(0.97);
      expect(strided / (1.5 * n * l)).toBeLessThan(1.02);
    }
    const window = (n: number) => patternPairs(n, settingsOf({ pattern: 'window', window: 64 }));
    expect(window(8192) - window(4096)).toBe(4096 * 64);
    expect(causalPairs(8192) / causalPairs(4096)).toBeCloseTo(4, 2);
  });

  test('fixed with c keys per block costs about N (l/2 + cN/2l)', () => {
    const n = 4096;
    const [l, c] = [64, 8];
    const pairs = patternPairs(n, settingsOf({ pattern: 'fixed', stride: l, summary: c }));
    expect(pairs / (n * (l / 2 + (c * n) / (2 * l)))).toBeCloseTo(1, 1);
  });

  test('the chapter\'s numbers: at 100 tokens no stride keeps under a quarter of the pairs; stride 181 keeps 1.1% of 65,536 tokens; 100,000 tokens', () => {
    const densities = Array.from({ length: 100 }, (_, i) => patternDensity(100, settingsOf({ pattern: 'strided', stride: i + 1 })));
    expect(Math.min(...densities)).toBeGreaterThan(0.25);
    expect(densities.indexOf(Math.min(...densities)) + 1).toBe(7); // the sparsest stride: sqrt(100 / 2) = 7.07
    expect((100 * patternDensity(65_536, settingsOf({ pattern: 'strided', stride: 181 }))).toFixed(1)).toBe('1.1');
    expect(causalPairs(100_000)).toBe(5_000_050_000);
    expect(patternPairs(100_000, settingsOf({ pattern: 'window', window: 64 }))).toBe(6_397_984);
  });

  test('densityOver weighs each text by its causal pairs', () => {
    const s = settingsOf({ pattern: 'window', window: 2 });
    expect(densityOver([3], s)).toBe(5 / 6);
    expect(densityOver([3, 1], s)).toBe(6 / 7);
  });

  test('meanRowLoss is the mean over every token of every row', () => {
    expect(meanRowLoss([[1, 2], [3]])).toEqual({ loss: 2, tokens: 3 });
  });

  test('every sweep setting is valid, and each pattern\'s sweep runs from sparse to dense on a 100-token story', () => {
    for (const [pattern, points] of Object.entries(SWEEP_SETTINGS)) {
      const densities = points.map((p) => patternDensity(100, settingsOf({ ...p, pattern: pattern as PatternSettings['pattern'] })));
      expect(densities[0]).toBeLessThan(0.3);
      expect(densities.at(-1)).toBeGreaterThan(0.6);
      for (let i = 1; i < densities.length; i++) expect(densities[i]).toBeGreaterThan(densities[i - 1]);
    }
  });
});

describe('bad settings say what is wrong', () => {
  test('a window of 0', () => expect(() => patternMask(3, settingsOf({ pattern: 'window', window: 0 }))).toThrow('The window must be a whole number from 1 up. Received 0.'));
  test('a fractional stride', () => expect(() => patternPairs(3, settingsOf({ pattern: 'strided', stride: 2.5 }))).toThrow('The stride must be a whole number from 1 up. Received 2.5.'));
  test('more summary keys than the block holds', () => expect(() => checkSettings(settingsOf({ pattern: 'fixed', stride: 4, summary: 5 }))).toThrow('The summary length c must be a whole number from 1 to 4. Received 5.'));
  test('an unknown pattern', () => expect(() => checkSettings({ ...settingsOf({ pattern: 'full' }), pattern: 'dilated' as never })).toThrow(`Unknown pattern "dilated". Expected one of ${SPARSE_PATTERNS.join(', ')}.`));
  test('settings a pattern does not read are not checked', () => expect(() => checkSettings(settingsOf({ pattern: 'window', stride: 0 }))).not.toThrow());
});

/**
 * The sparse attention chapter (content/16-sparse-attention.mdx): which keys each query may see
 * under the published sparse patterns, as 0/1 matrices the engine takes as `queryKeyMask`, how
 * many (query, key) pairs each keeps (its cost) and what share of the causal pairs that is (its
 * density). Every pattern is causal: a query at index i never sees a key j > i.
 *
 *   full        j <= i                                                   N (N + 1) / 2 pairs
 *   window w    i - w < j <= i  (the w most recent keys, itself included)  about N w
 *   strided l   i - j <= l, or (i - j) mod l = 0                     about N (l + N / 2l)
 *               (Child et al. 2019, Section 4: A(1) u A(2) of "strided" attention, merged into one head)
 *   fixed l, c  floor(j / l) = floor(i / l), or j mod l >= l - c        about N (l / 2 + c N / 2l)
 *               (Child et al. 2019, Section 4: "fixed" attention; the last c keys of each block
 *               summarise it for every later block)
 *   longformer  window w, plus g global tokens (the first g): every query sees them, and they see
 *               every key before them (Beltagy et al. 2020, Section 3.1)       about N (w + 2g)
 *   bigbird     longformer's window and globals, plus r random keys per query
 *               (Zaheer et al. 2020, Section 2)                            about N (w + 2g + r)
 *
 * Checked by tests/unit/sparse-attention-chapter.test.ts, against hand-drawn masks and counts.
 */
import { createRandom } from '../llama/rng';

export const SPARSE_PATTERNS = ['full', 'window', 'strided', 'fixed', 'longformer', 'bigbird'] as const;
export type SparsePattern = (typeof SPARSE_PATTERNS)[number];

/** The patterns in a reader's words, with the paper each comes from. */
export const PATTERN_NAMES: Record<SparsePattern, string> = {
  full: 'full (causal)',
  window: 'sliding window',
  strided: 'strided (Sparse Transformer)',
  fixed: 'fixed (Sparse Transformer)',
  longformer: 'window + global (Longformer)',
  bigbird: 'window + global + random (BigBird)',
};

/** The published source of each pattern, as the chapter cites it. */
export const PATTERN_SOURCES: Record<Exclude<SparsePattern, 'full'>, string> = {
  window: 'Beltagy, Peters and Cohan (2020), Longformer: The Long-Document Transformer, Section 3.1 (sliding window)',
  strided: 'Child, Gray, Radford and Sutskever (2019), Generating Long Sequences with Sparse Transformers, Section 4 (strided attention)',
  fixed: 'Child, Gray, Radford and Sutskever (2019), Generating Long Sequences with Sparse Transformers, Section 4 (fixed attention)',
  longformer: 'Beltagy, Peters and Cohan (2020), Longformer: The Long-Document Transformer, Section 3.1 (global attention)',
  bigbird: 'Zaheer et al. (2020), Big Bird: Transformers for Longer Sequences, Section 2 (the BigBird architecture)',
};

/**
 * The settings of every pattern; each pattern reads only its own:
 *   window      window
 *   strided     stride
 *   fixed       stride (the block length l) and summary (c)
 *   longformer  window and global
 *   bigbird     window, global, random and seed
 */
export interface PatternSettings {
  pattern: SparsePattern;
  /** w: the keys a query sees in its sliding window, itself included (>= 1) */
  window: number;
  /** l: the stride (strided) or block length (fixed) (>= 1) */
  stride: number;
  /** c: summary keys at the end of each block (fixed), 1 .. stride */
  summary: number;
  /** g: the first g tokens are global */
  global: number;
  /** r: random keys per query (bigbird) */
  random: number;
  /** seeds the random keys (bigbird) */
  seed: number;
}

export const DEFAULT_SETTINGS: PatternSettings = { pattern: 'window', window: 8, stride: 8, summary: 1, global: 1, random: 2, seed: 1 };

/** The settings, completed with the defaults. */
export function settingsOf(partial: Partial<PatternSettings> & { pattern: SparsePattern }): PatternSettings {
  return { ...DEFAULT_SETTINGS, ...partial };
}

/** Whether a query sees a key under the pattern's deterministic rules (BigBird's random keys aside). */
function fixedRuleAllows(s: PatternSettings, query: number, key: number): boolean {
  if (key > query) return false;
  const offset = query - key;
  switch (s.pattern) {
    case 'full':
      return true;
    case 'window':
      return offset < s.window;
    case 'strided':
      return offset <= s.stride || offset % s.stride === 0;
    case 'fixed':
      return Math.floor(key / s.stride) === Math.floor(query / s.stride) || key % s.stride >= s.stride - s.summary;
    case 'longformer':
    case 'bigbird':
      return offset < s.window || key < s.global || query < s.global;
  }
}

/** Checks the settings a pattern reads; throws a sentence naming the bad one. */
export function checkSettings(s: PatternSettings): void {
  const whole = (name: string, value: number, min: number, max = Infinity) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`${name} must be a whole number from ${min}${max === Infinity ? ' up' : ` to ${max}`}. Received ${value}.`);
    }
  };
  if (!SPARSE_PATTERNS.includes(s.pattern)) throw new Error(`Unknown pattern "${s.pattern}". Expected one of ${SPARSE_PATTERNS.join(', ')}.`);
  if (s.pattern === 'window' || s.pattern === 'longformer' || s.pattern === 'bigbird') whole('The window', s.window, 1);
  if (s.pattern === 'strided' || s.pattern === 'fixed') whole('The stride', s.stride, 1);
  if (s.pattern === 'fixed') whole('The summary length c', s.summary, 1, s.stride);
  if (s.pattern === 'longformer' || s.pattern === 'bigbird') whole('The number of global tokens', s.global, 0);
  if (s.pattern === 'bigbird') whole('The number of random keys', s.random, 0);
}

/**
 * The pattern's mask for n tokens: mask[query][key] = 1 when the query may see the key. Causal,
 * and every query sees itself (each pattern keeps the diagonal), so no row is empty.
 * BigBird's r random keys per query are drawn, without replacement, from the earlier keys that the
 * window and the globals leave hidden (so each query gains exactly min(r, hidden) keys), with a
 * generator seeded by `seed`: the same settings give the same mask.
 */
export function patternMask(n: number, settings: PatternSettings): number[][] {
  checkSettings(settings);
  const mask = Array.from({ length: n }, (_, query) => Array.from({ length: n }, (_, key) => (fixedRuleAllows(settings, query, key) ? 1 : 0)));
  if (settings.pattern === 'bigbird' && settings.random > 0) {
    const random = createRandom(settings.seed);
    for (let query = 0; query < n; query++) {
      const hidden: number[] = [];
      for (let key = 0; key < query; key++) if (mask[query][key] === 0) hidden.push(key);
      // a partial Fisher-Yates shuffle: the first min(r, hidden) entries are a uniform sample
      const take = Math.min(settings.random, hidden.length);
      for (let i = 0; i < take; i++) {
        const j = i + Math.floor(random() * (hidden.length - i));
        [hidden[i], hidden[j]] = [hidden[j], hidden[i]];
        mask[query][hidden[i]] = 1;
      }
    }
  }
  return mask;
}

/** The (query, key) pairs a mask keeps: the attention scores computed, the cost. */
export function maskPairs(mask: readonly (readonly number[])[]): number {
  let pairs = 0;
  for (const row of mask) for (const cell of row) pairs += cell;
  return pairs;
}

/** Causal pairs of n tokens: n (n + 1) / 2, what full attention computes. */
export function causalPairs(n: number): number {
  return (n * (n + 1)) / 2;
}

/**
 * The pairs the pattern keeps for n tokens, counted query by query from the pattern's rule (no
 * mask built), so the cost can be drawn for n far past the model's context:
 *   window      min(i + 1, w)
 *   strided     min(i, l) + 1 + max(0, floor(i / l) - 1)   (the window of l + 1, then every l-th key)
 *   fixed       (i mod l) + 1 + c floor(i / l)            (its own block so far, c keys of each earlier block)
 *   longformer  min(i + 1, w) + max(0, min(g, i - w + 1)), and i + 1 for a global query (i < g)
 *   bigbird     longformer's, + min(r, the keys still hidden)
 */
export function patternPairs(n: number, settings: PatternSettings): number {
  checkSettings(settings);
  const { window: w, stride: l, summary: c, global: g, random: r } = settings;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    switch (settings.pattern) {
      case 'full':
        pairs += i + 1;
        break;
      case 'window':
        pairs += Math.min(i + 1, w);
        break;
      case 'strided':
        pairs += Math.min(i, l) + 1 + Math.max(0, Math.floor(i / l) - 1);
        break;
      case 'fixed':
        pairs += (i % l) + 1 + Math.min(c, l) * Math.floor(i / l);
        break;
      case 'longformer':
      case 'bigbird': {
        const seen = i < g ? i + 1 : Math.min(i + 1, w) + Math.max(0, Math.min(g, i - w + 1));
        pairs += seen + (settings.pattern === 'bigbird' ? Math.min(r, i + 1 - seen) : 0);
        break;
      }
    }
  }
  return pairs;
}

/** The share of the causal pairs the pattern keeps for n tokens: 1 for full attention. */
export function patternDensity(n: number, settings: PatternSettings): number {
  return patternPairs(n, settings) / causalPairs(n);
}

/** How each pattern's cost grows with N, for the settings it is usually run with. */
export const PATTERN_GROWTH: Record<SparsePattern, string> = {
  full: 'N²/2',
  window: 'N·w',
  strided: 'N·(l + N/(2l)); √2·N√N at its best, l = √(N/2)',
  fixed: 'N·(l/2 + cN/(2l)); N√(cN) at its best, l = √(cN)',
  longformer: 'N·(w + 2g)',
  bigbird: 'N·(w + 2g + r)',
};

/**
 * The settings the loss-versus-density sweep runs for each pattern: from sparse to nearly full, on
 * stories of up to about 100 tokens. Each is one point of the chart.
 */
export const SWEEP_SETTINGS: Record<Exclude<SparsePattern, 'full'>, Partial<PatternSettings>[]> = {
  window: [1, 2, 4, 8, 16, 32, 64].map((window) => ({ window })),
  // below l = sqrt(N / 2) (about 7 here) a smaller stride makes the pattern denser again
  strided: [8, 12, 16, 24, 32, 48, 64].map((stride) => ({ stride })),
  fixed: [10, 16, 24, 32, 48, 64, 96].map((stride) => ({ stride, summary: 1 })),
  longformer: [1, 2, 4, 8, 16, 32, 64].map((window) => ({ window, global: 4 })),
  bigbird: [1, 2, 4, 8, 16, 32, 64].map((window) => ({ window, global: 4, random: 4 })),
};

/** Mean of the per-token losses of every row, and how many tokens that is. */
export function meanRowLoss(losses: readonly (readonly number[])[]): { loss: number; tokens: number } {
  let sum = 0;
  let tokens = 0;
  for (const row of losses) for (const value of row) (sum += value), tokens++;
  return { loss: sum / tokens, tokens };
}

/**
 * The pattern's density over several texts of the given lengths: kept pairs over causal pairs,
 * each summed over the texts (a long text counts more, as it has more pairs).
 */
export function densityOver(lengths: readonly number[], settings: PatternSettings): number {
  let kept = 0;
  let causal = 0;
  for (const n of lengths) (kept += patternPairs(n, settings)), (causal += causalPairs(n));
  return kept / causal;
}

// ----------------------------------------------------------------------------- name recall

/**
 * The name-recall story: the hero is named in the first sentence, then `fillers` sentences about
 * the weather, then the story stops after a full stop, where the shipped model's next token is
 * the hero's name (which it can only copy from the first sentence). Each filler moves the name
 * further back.
 */
export const RECALL_FILLERS = ['The sun was shining.', 'The sky was blue.', 'The birds sang in the trees.', 'It was a warm day.', 'The grass was green.'] as const;

/** Heroes the story can have: names from the training stories' pool, with the word for them. */
export const RECALL_HEROES = {
  Tom: 'boy',
  Sam: 'boy',
  Max: 'boy',
  Ben: 'boy',
  Anna: 'girl',
  Lucy: 'girl',
  Lily: 'girl',
  Mia: 'girl',
} as const;
export type RecallHero = keyof typeof RECALL_HEROES;
export const RECALL_NAMES = Object.keys(RECALL_HEROES) as RecallHero[];

export function recallStory(name: RecallHero, fillers: number): string {
  return [`Once upon a time, there was a ${RECALL_HEROES[name]} named ${name}.`, ...RECALL_FILLERS.slice(0, fillers)].join(' ');
}

/**
 * Where the name is: the index of its first token in the story's ids (the first occurrence of
 * nameFirstId), and its distance D from the last token, the query that must copy it.
 */
export function nameDistance(ids: readonly number[], nameFirstId: number): { namePosition: number; distance: number } {
  const namePosition = ids.indexOf(nameFirstId);
  if (namePosition < 0) throw new Error(`The story does not contain the name's first token (id ${nameFirstId}).`);
  return { namePosition, distance: ids.length - 1 - namePosition };
}

/** The shipped model's name-lookup heads (the attention chapter's facts): layer 3, heads 0 and 2. */
export const NAME_HEADS = [
  [3, 0],
  [3, 2],
] as const;

/**
 * What the chapter states about the shipped model under each pattern, measured on the 16 stories
 * of public/data/validation-sample.json and on the recall stories. Recomputed by
 * tests/unit/sparse-attention-model.test.ts on the shipped weights.
 */
export const SPARSE_FACTS = {
  /** mean next-token loss (nats) over the 16 stories, and the density it was measured at */
  loss: {
    full: 0.297,
    window16: { density: 0.304, loss: 1.114 },
    window32: { density: 0.552, loss: 0.455 },
    strided12: { density: 0.305, loss: 1.097 },
    fixed24: { density: 0.281, loss: 1.7 },
    longformer16: { density: 0.371, loss: 1.035 },
    bigbird8: { density: 0.304, loss: 1.469 },
  },
  recall: {
    /** the default story (Tom, three fillers): D, and p(name) with full attention, w = D + 1 and w = D */
    tom: { distance: 20, namePosition: 11, full: 0.95, windowPast: 0.97, windowShort: 0, globalCovers: 0.95 },
    /** over every hero and 1..5 fillers (40 stories): the largest p(name) with any window w <= D */
    stories: 40,
    largestWhenHidden: 0.079,
    /** the least attention either name head puts on the name from the last token, full attention */
    leastHeadAttention: 0.61,
  },
} as const;

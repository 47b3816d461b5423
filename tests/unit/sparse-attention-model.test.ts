// What the sparse attention chapter says about the shipped model, recomputed on its weights:
// the loss on the 16 validation stories under each pattern (SPARSE_FACTS.loss), and the name
// recall stories (SPARSE_FACTS.recall): the name is copied while the window reaches it, and not
// once the window is shorter than the distance.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { argmax, tokenLosses } from '../../src/chapters/attention';
import {
  densityOver,
  meanRowLoss,
  NAME_HEADS,
  nameDistance,
  patternMask,
  recallStory,
  RECALL_FILLERS,
  RECALL_NAMES,
  settingsOf,
  SPARSE_FACTS,
  type PatternSettings,
  type RecallHero,
} from '../../src/chapters/sparseAttention';
import { softmax } from '../../src/llama/math';
import { layerTap } from '../../src/llama/taps';
import { useBackend } from './helpers/backends';
import { loadChapterModel, SHIPPED_MODEL_DIR, type ChapterModel } from './helpers/chapter-model';

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

let chapter: ChapterModel;
beforeAll(async () => {
  await useBackend('wasm');
  chapter = loadChapterModel();
});
afterAll(() => chapter?.model.dispose());

describe('loss on the validation stories under each pattern', () => {
  const stories: string[] = JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, '..', '..', 'data', 'validation-sample.json'), 'utf8')).texts;
  /** Mean loss with the pattern, one story at a time (no padding), and its density over the stories. */
  async function measure(settings: PatternSettings) {
    const rows = stories.map((story) => chapter.tokenizer.encode(story, { bos: true }));
    const losses: number[][] = [];
    for (const ids of rows) {
      const queryKeyMask = settings.pattern === 'full' ? undefined : patternMask(ids.length, settings);
      losses.push(tokenLosses((await chapter.model.run([ids], queryKeyMask ? { queryKeyMask } : {})).logits, ids));
    }
    return { loss: round(meanRowLoss(losses).loss, 3), density: round(densityOver(rows.map((ids) => ids.length), settings), 3) };
  }
  const { loss } = SPARSE_FACTS;

  test('full attention: 0.297 nats (the attention chapter\'s number)', async () => {
    expect((await measure(settingsOf({ pattern: 'full' }))).loss).toBe(loss.full);
  });

  test('at a third of the pairs the window, strided and Longformer patterns cost about 0.8 nats; BigBird\'s random keys and fixed blocks cost more', async () => {
    expect(await measure(settingsOf({ pattern: 'window', window: 16 }))).toEqual(loss.window16);
    expect(await measure(settingsOf({ pattern: 'window', window: 32 }))).toEqual(loss.window32);
    expect(await measure(settingsOf({ pattern: 'strided', stride: 12 }))).toEqual(loss.strided12);
    expect(await measure(settingsOf({ pattern: 'fixed', stride: 24, summary: 1 }))).toEqual(loss.fixed24);
    expect(await measure(settingsOf({ pattern: 'longformer', window: 16, global: 4 }))).toEqual(loss.longformer16);
    expect(await measure(settingsOf({ pattern: 'bigbird', window: 8, global: 4, random: 4 }))).toEqual(loss.bigbird8);
    // the same density, local keys against a smaller window plus random and global keys
    expect(loss.bigbird8.density).toBe(loss.window16.density);
    expect(loss.bigbird8.loss).toBeGreaterThan(loss.window16.loss + 0.3);
  }, 300_000);

  test('rows padded on the right share one mask: each row reads the corner of its own length (as the worker\'s loss op runs it)', async () => {
    const settings = settingsOf({ pattern: 'bigbird', window: 4, global: 2, random: 3, seed: 5 });
    const rows = stories.slice(0, 3).map((story) => chapter.tokenizer.encode(story, { bos: true }));
    const width = Math.max(...rows.map((ids) => ids.length));
    const padded = rows.map((ids) => [...ids, ...new Array<number>(width - ids.length).fill(0)]);
    const attentionMask = rows.map((ids) => padded[0].map((_, i) => (i < ids.length ? 1 : 0)));
    const batched = await chapter.model.run(padded, { attentionMask, queryKeyMask: patternMask(width, settings) });
    const vocab = batched.logits.shape[2];
    for (const [row, ids] of rows.entries()) {
      const alone = await chapter.model.run([ids], { queryKeyMask: patternMask(ids.length, settings) });
      const start = row * width * vocab;
      const fromBatch = batched.logits.data.subarray(start, start + ids.length * vocab);
      let gap = 0;
      for (let i = 0; i < fromBatch.length; i++) gap = Math.max(gap, Math.abs(fromBatch[i] - alone.logits.data[i]));
      expect(gap).toBeLessThan(1e-3);
    }
  }, 120_000);
});

describe('name recall: the name is copied only while the window reaches it', () => {
  const nameHeadTap = layerTap(3, 'attn.probs');
  async function lastToken(name: RecallHero, fillers: number, window?: number) {
    const { tokenizer, model } = chapter;
    const ids = tokenizer.encode(recallStory(name, fillers), { bos: true });
    const nameId = tokenizer.encode(name, { bos: false })[0];
    const { namePosition, distance } = nameDistance(ids, nameId);
    const queryKeyMask = window === undefined ? undefined : patternMask(ids.length, settingsOf({ pattern: 'window', window }));
    const { logits, taps } = await model.run([ids], { taps: [nameHeadTap], ...(queryKeyMask ? { queryKeyMask } : {}) });
    const n = ids.length;
    const row = Array.from(logits.data.subarray((n - 1) * logits.shape[2], n * logits.shape[2]));
    const probs = taps[nameHeadTap].data;
    const headAttention = NAME_HEADS.map(([, head]) => probs[(head * n + n - 1) * n + namePosition]);
    return { distance, probability: softmax(row)[nameId], topIsName: argmax(row) === nameId, headAttention };
  }
  const { recall } = SPARSE_FACTS;

  test('the default story (Tom, three fillers): D = 20; p(Tom) 0.95 with full attention, 0.97 with w = 21, 0.00 with w = 20', async () => {
    const full = await lastToken('Tom', 3);
    const reaches = await lastToken('Tom', 3, recall.tom.distance + 1);
    const short = await lastToken('Tom', 3, recall.tom.distance);
    expect(full.distance).toBe(recall.tom.distance);
    expect(round(full.probability, 2)).toBe(recall.tom.full);
    expect(round(reaches.probability, 2)).toBe(recall.tom.windowPast);
    expect(round(short.probability, 2)).toBe(recall.tom.windowShort);
    expect([full.topIsName, reaches.topIsName, short.topIsName]).toEqual([true, true, false]);
    // "with a window of 20 or fewer, about 0%"
    for (let window = 1; window <= recall.tom.distance; window++) expect((await lastToken('Tom', 3, window)).probability).toBeLessThan(0.005);
  }, 120_000);

  test('global tokens that cover the first mention bring Tom back without widening the window (w = 16, g = 12)', async () => {
    const { tokenizer, model } = chapter;
    const ids = tokenizer.encode(recallStory('Tom', 3), { bos: true });
    const nameId = tokenizer.encode('Tom', { bos: false })[0];
    const { namePosition } = nameDistance(ids, nameId);
    expect(namePosition).toBe(recall.tom.namePosition);
    const probabilityWith = async (global: number) => {
      const mask = patternMask(ids.length, settingsOf({ pattern: 'longformer', window: 16, global }));
      const { logits } = await model.run([ids], { queryKeyMask: mask });
      const row = Array.from(logits.data.subarray((ids.length - 1) * logits.shape[2], ids.length * logits.shape[2]));
      return { probability: softmax(row)[nameId], topIsName: argmax(row) === nameId };
    };
    const covered = await probabilityWith(namePosition + 1);
    expect(covered.topIsName).toBe(true);
    expect(round(covered.probability, 2)).toBe(recall.tom.globalCovers);
    expect((await probabilityWith(namePosition)).topIsName).toBe(false); // one global token short
  }, 60_000);

  test('every hero, 1 to 5 fillers: with any w <= D the name is never the top guess (p at most 7.9%); the name heads put at least 61% on the name', async () => {
    let largest = 0;
    let leastAttention = 1;
    let stories = 0;
    for (const name of RECALL_NAMES) {
      for (let fillers = 1; fillers <= RECALL_FILLERS.length; fillers++) {
        const full = await lastToken(name, fillers);
        // every window that leaves the name out: w = D, D - 1, ..., 1
        for (let window = full.distance; window >= 1; window--) {
          const hidden = await lastToken(name, fillers, window);
          expect(hidden.topIsName, `${name}, ${fillers} fillers, w = ${window}`).toBe(false);
          largest = Math.max(largest, hidden.probability);
        }
        leastAttention = Math.min(leastAttention, ...full.headAttention);
        stories++;
      }
    }
    expect(stories).toBe(recall.stories);
    expect(round(largest, 3)).toBe(recall.largestWhenHidden);
    expect(round(leastAttention, 2)).toBe(recall.leastHeadAttention);
  }, 600_000);
});

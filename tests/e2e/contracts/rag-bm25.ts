// BM25 at its default ("little frog said", k1 1.2, b 0.75): the ranking and the scores are
// Bm25Index.search over the shipped validation stories.
import { expect } from 'vitest';
import { Bm25Index } from '../../../src/chapters/retrieval';
import { expectClose } from '../helpers/chapterSite';
import { validationTexts } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget }) => {
  const hits = new Bm25Index(validationTexts()).search('little frog said');
  expect(hits.length).toBeGreaterThan(0);
  const ranking = widget.locator('[data-ranking]');
  expect(await ranking.getAttribute('data-ranking')).toBe(hits.map((h) => h.passage).join(','));
  expectClose((await ranking.getAttribute('data-scores'))!.split(',').map(Number), hits.map((h) => h.score), 1e-5);
};

// Paged memory at its default (6 requests sampled at T = 1 with seeds 1-6, up to 200 new tokens,
// blocks of 16, prompt blocks shared, 1024 slots): each request's length is the engine's for the
// same seed, and the block tables and fit counts are the allocator's (src/chapters/kvcache.ts).
import { expect } from 'vitest';
import { PAGED_PROMPT } from '../../../components/KvPaged';
import { pagedFigureTexts, sampledRequests } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const nodeEngine = await engine();
  const trace = await sampledRequests(nodeEngine, nodeEngine.tokenizer.encode(PAGED_PROMPT, { bos: true }), 6, 200);
  const expected = pagedFigureTexts(trace, 16, 1024);
  expect((await widget.locator('.kv-tables p').allTextContents()).slice(1)).toEqual(expected.tables);
  expect(await widget.locator('h4').allTextContents()).toEqual(expected.headings);
  expect(await widget.locator('.mw-readout').textContent()).toContain(expected.readout);
};

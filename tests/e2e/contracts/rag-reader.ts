// The reader at its default (the frog cloze, no distractor): the retrieved passages, the answer
// "Rita" and the name heads' attention shares per span are the engine's for the same context.
import { expect } from 'vitest';
import { assembleContext, attentionBySpan, Bm25Index, contextPassages, meanRows, NAME_HEADS } from '../../../src/chapters/retrieval';
import { layerTap } from '../../../src/llama/taps';
import { expectClose } from '../helpers/chapterSite';
import { validationTexts } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const stories = validationTexts();
  const cloze = '"Poor little frog," said';
  const passages = contextPassages(new Bm25Index(stories).search(cloze), 'none').map((p) => ({ ...p, text: stories[p.passage] }));
  const { ids, spans } = assembleContext((text) => tokenizer.encode(text, { bos: false }), tokenizer.bosId, passages, cloze);
  const tap = layerTap(NAME_HEADS.layer, 'attn.probs');
  const { taps, logits } = await model.run([ids], { taps: [tap] });
  const n = ids.length;
  const rows = NAME_HEADS.heads.map((head) => taps[tap].data.subarray((head * n + n - 1) * n, (head * n + n) * n));
  const vocab = logits.shape[2];
  const last = Array.from(logits.data.subarray((n - 1) * vocab, n * vocab));
  const top = last.indexOf(Math.max(...last));
  const state = widget.locator('[data-answer]');
  expect(tokenizer.encode('Rita', { bos: false })[0]).toBe(top); // the engine's next token starts the name
  expect(await state.getAttribute('data-answer')).toBe('Rita');
  expect(await state.getAttribute('data-passages')).toBe(passages.map((p) => p.passage).join(','));
  expectClose((await state.getAttribute('data-shares'))!.split(',').map(Number), attentionBySpan(meanRows(rows), spans), 2e-3);
};

// The batch builder at its default (the three DEFAULT_PROMPTS, left padding, with the mask and
// positions from it): each row's continuation in the batch is the engine's greedy generateBatch in
// Node, each "alone" continuation its greedy generate() of the prompt alone, and all three match.
import { expect } from 'vitest';
import { BATCH_NEW_TOKENS, DEFAULT_PROMPTS } from '../../../src/chapters/padding';
import { generate, generateBatch } from '../../../src/llama/generate';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const text = (ids: number[]) => new TextDecoder().decode(tokenizer.bytesOf(ids));
  const prompts = DEFAULT_PROMPTS.map((prompt) => tokenizer.encode(prompt, { bos: true }));
  const batch = await generateBatch(model, prompts, { paddingSide: 'left', useAttentionMask: true, usePositionIdsFromMask: true, maxNewTokens: BATCH_NEW_TOKENS });
  const alone: string[] = [];
  for (const ids of prompts) alone.push(text((await generate(model, ids, { maxNewTokens: BATCH_NEW_TOKENS, temperature: 0 })).newIds));
  const shown = await widget.locator('.pb-rows li').evaluateAll((items) => items.map((item) => [...item.querySelectorAll('q.pb-text')].map((q) => q.textContent ?? '')));
  expect(shown).toEqual(batch.newIds.map((ids, row) => [text(ids), alone[row]]));
  expect(await widget.locator('.widget-summary').textContent()).toBe(
    'left padding, with the attention mask, positions from the mask: 3 of 3 rows match the prompt generated alone, token for token.',
  );
  expect(await widget.locator('.pb-rows li.pb-same').count()).toBe(3);
};

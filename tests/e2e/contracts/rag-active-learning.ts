// Active learning at its default: each pool text's mean loss is the engine's in Node, and the
// uncertainty pick is the most uncertain texts of those losses (mostUncertain, default picks).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ACTIVE_LEARNING_RUN, mostUncertain } from '../../../src/chapters/retrieval';
import { meanLoss, tokenLogProbs } from '../../../src/llama/math';
import { REPO_ROOT } from '../helpers/build';
import { expectClose } from '../helpers/chapterSite';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const pool = (JSON.parse(readFileSync(join(REPO_ROOT, 'public', 'data', 'active-learning-pool.json'), 'utf8')) as { pool: string[] }).pool;
  const losses: number[] = [];
  for (const text of pool) {
    const ids = tokenizer.encode(text, { bos: true }).slice(0, model.config.max_position_embeddings);
    const { logits } = await model.run([ids]);
    losses.push(meanLoss(tokenLogProbs(logits.data, logits.shape[2], ids)));
  }
  const state = widget.locator('[data-pool-loss]');
  expectClose((await state.getAttribute('data-pool-loss'))!.split(',').map(Number), losses, 2e-3);
  expect(JSON.parse((await state.getAttribute('data-chosen'))!).uncertainty).toEqual(mostUncertain(losses, ACTIVE_LEARNING_RUN.picks));
};

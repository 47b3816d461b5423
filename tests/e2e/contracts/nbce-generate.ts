// Generation at its default (long story 0, chunks of 32, lowest-entropy pooling, β 0.25, 8 greedy
// tokens): each method's continuation and verdict are the engine's nbceGenerate in Node, and the
// NBCE grid's outlined cells are the chunks the engine picked at each step.
import { expect } from 'vitest';
import { longStory, namesHero } from '../../../src/chapters/nbce';
import { nbceGenerateOf } from '../../../src/runtime/nbceOps';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const story = longStory(0);
  for (const method of ['truncate', 'interpolate', 'nbce'] as const) {
    const node = await nbceGenerateOf(model, tokenizer, { context: story.context, question: story.question, method, maxNewTokens: 8, chunkSize: 32, pooling: 'lowestEntropy', beta: 0.25 });
    const line = widget.locator(`li[data-method="${method}"]`);
    expect(await line.locator('q').textContent(), method).toBe(node.text.trim());
    expect(await line.locator('.nbce-verdict').textContent(), method).toBe(namesHero(node.text, story.hero) ? `✓ ${story.hero} comes back` : `✗ no ${story.hero}`);
    if (method === 'nbce') {
      expect(namesHero(node.text, story.hero)).toBe(true);
      const chunks = node.chunks!.length;
      expect(await widget.locator('.nbce-chunk').count()).toBe(chunks);
      expect(await widget.locator('.nbce-cell').count()).toBe(node.steps.length * chunks);
      const winners = await widget.locator('.nbce-cell').evaluateAll((cells, n) => cells.flatMap((cell, i) => (cell.classList.contains('nbce-cell--winner') ? [i % n] : [])), chunks);
      expect(winners).toEqual(node.steps.map((s) => s.winner));
    }
  }
};

// The forgotten eval() at its default (p = 0.10, seed 1): the model.eval() loss is the engine's
// mean next-token loss over every token of the shipped validation sample (each text cut at the
// context), and the train-mode loss differs from it.
import { expect } from 'vitest';
import { tokenLosses } from '../../../src/chapters/attention';
import { validationTexts } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  let sum = 0;
  let count = 0;
  const texts = validationTexts();
  for (const text of texts) {
    const ids = tokenizer.encode(text, { bos: true }).slice(0, model.config.max_position_embeddings);
    const { logits } = await model.run([ids]);
    for (const loss of tokenLosses(logits, ids)) (sum += loss), count++;
  }
  const stage = widget.locator('[data-widget-stage]');
  const evalLoss = Number(await stage.getAttribute('data-eval-loss'));
  expect(Math.abs(evalLoss - sum / count)).toBeLessThan(1e-4);
  expect(await stage.getAttribute('data-train-loss')).not.toBe(await stage.getAttribute('data-eval-loss'));
  expect(await widget.locator('dt').allTextContents()).toEqual(['model.eval()', 'model.train(), p = 0.10', 'model.train(), other masks']);
  const shown = /^(\d+\.\d{3}) nats/.exec((await widget.locator('[data-value="eval"] dd').textContent())!)!;
  expect(Math.abs(Number(shown[1]) - sum / count)).toBeLessThanOrEqual(6e-4);
  expect(await widget.locator('details table tbody tr').count()).toBe(texts.length);
};

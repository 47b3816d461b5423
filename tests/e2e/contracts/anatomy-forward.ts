// The forward-pass diagram at its default (the Lily prompt, box attn.out, layer 0, the last token):
// the detail panel names the tap and its shape, and the token's vector length is the engine's.
import { expect } from 'vitest';
import { FORWARD_STEPS, stepTap, vectorStats } from '../../../src/chapters/anatomy';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode('Once upon a time, there was a little girl named Lily. She', { bos: true });
  const tap = stepTap(FORWARD_STEPS.find((step) => step.tap === 'attn.out')!, 0);
  const { taps } = await model.run([ids], { taps: [tap] });
  const tensor = taps[tap];
  const width = tensor.shape[2];
  const detail = widget.locator('.an-detail');
  expect(await detail.getAttribute('data-tap')).toBe(tap);
  expect(await detail.getAttribute('data-shape')).toBe(tensor.shape.join('x'));
  expect(await detail.getAttribute('data-token')).toBe(String(ids.length - 1));
  const norm = Number(await detail.getAttribute('data-token-norm'));
  expect(Math.abs(norm - vectorStats(tensor.data, (ids.length - 1) * width, width).norm)).toBeLessThan(1e-3 * Math.max(1, norm));
  expect(await widget.locator('button[data-box="attn.out"]').getAttribute('aria-pressed')).toBe('true');
};

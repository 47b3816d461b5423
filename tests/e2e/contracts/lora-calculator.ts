// The calculator at its default (Llama 2 7B, r 8 on q_proj and v_proj, bf16, AdamW): 32 layers ×
// 2 projections × r (4096 + 4096) trainable values, and the adapter's memory as compareFineTuning
// counts it.
import { expect } from 'vitest';
import { compareFineTuning, loraPreset } from '../../../src/chapters/lora';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget }) => {
  const data = (name: string) => widget.locator(`[data-${name}]`).getAttribute(`data-${name}`);
  expect(await data('trainable')).toBe(String(32 * 2 * 8 * (4096 + 4096)));
  expect(Number(await data('lora-bytes'))).toBe(compareFineTuning(loraPreset('llama-2-7b').config, 8, ['q_proj', 'v_proj'], 'bf16', 'adamw').lora.total);
};

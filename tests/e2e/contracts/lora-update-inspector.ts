// The inspector at its default (the shipped name adapter, layer 0 q_proj, the Lily prompt): the
// update's singular values, rank and output norm are inspectLoraUpdate on the engine with the same
// adapter attached, in Node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { LORA_NAME_ADAPTER_DIR } from '../../../scripts/lora-name-adapter';
import { loadAdapter } from '../../../src/llama/lora';
import { inspectLoraUpdate } from '../../../src/llama/loraInspect';
import { LlamaModel } from '../../../src/llama/model';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const adapter = loadAdapter(model.config, {
    'adapter_config.json': readFileSync(join(LORA_NAME_ADAPTER_DIR, 'adapter_config.json'), 'utf8'),
    'adapter_model.safetensors': new Uint8Array(readFileSync(join(LORA_NAME_ADAPTER_DIR, 'adapter_model.safetensors'))),
  });
  const adapted = LlamaModel.fromWeights(model.config, model.toWeightMap());
  try {
    adapted.attachAdapter(adapter);
    const expected = inspectLoraUpdate(adapted, tokenizer.encode('Once upon a time, there was a little girl named', { bos: true }), 0, 'q_proj');
    const data = (name: string) => widget.locator(`[data-${name}]`).getAttribute(`data-${name}`);
    const shown = (await data('singular-values'))!.split(',').map(Number);
    expect(shown.length).toBeGreaterThan(0);
    shown.forEach((value, i) => expect(Math.abs(value - expected.singularValues[i]), `σ${i + 1}`).toBeLessThan(1e-4 * expected.singularValues[0]));
    expect(await data('rank')).toBe('4');
    expect(Math.abs(Number(await data('update-norm')) - Math.hypot(...expected.updateOutput))).toBeLessThan(5e-4);
  } finally {
    adapted.dispose();
    adapter.dispose();
  }
};

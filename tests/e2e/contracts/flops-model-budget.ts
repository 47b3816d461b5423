// The model budget at its default (the Lily prompt, 256 keys): FLOPs per token as tokenFlops counts
// them for the engine's config, and the kernel table of one decode step as the engine profiles it
// in Node (kernel names and launches; times are this device's and shown only).
import { expect } from 'vitest';
import { tokenFlops } from '../../../src/chapters/flops';
import { profileDecodeStep } from '../../../src/llama/inspect';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  expect(await widget.locator('.fw-result').first().textContent()).toContain(`${tokenFlops(model.config, 256).total.toLocaleString('en-US')} FLOPs`);
  const ids = tokenizer.encode('Once upon a time, there was a little girl named Lily. She loved to play in the park with her dog.', { bos: true });
  const node = await profileDecodeStep(model, ids);
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((row) => [row[0], Number(row[1])])).toEqual(node.kernels.map((k) => [k.name, k.count]));
  const measured = (await widget.locator('.fw-result').nth(1).textContent())!;
  expect(measured).toContain(`Prefill: ${ids.length} tokens in`);
  expect(measured).toContain(`One decode step launched ${node.kernelCount} kernels`);
};

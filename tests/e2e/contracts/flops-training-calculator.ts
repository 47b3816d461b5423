// The training calculator at its default (the Llama 2 7B preset): 6 N T from trainingFlops, and
// the MFU the paper's 184,320 A100-80GB GPU-hours imply at 312 TFLOP/s, worked out here.
import { expect } from 'vitest';
import { trainingFlops, TRAINING_RUNS } from '../../../src/chapters/flops';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget }) => {
  const llama = TRAINING_RUNS.find((run) => run.id === 'llama2-7b')!;
  const flops = 6 * llama.parameters * llama.tokens;
  expect(trainingFlops(llama.parameters, llama.tokens)).toBe(flops);
  const result = (await widget.locator('.fw-result').textContent())!;
  expect(result).toContain(`= ${flops.toExponential(3)} FLOPs`);
  const mfu = flops / (184_320 * 3600 * 312e12);
  expect((100 * mfu).toFixed(1)).toBe('39.1');
  expect(result).toContain('The paper reports 184,320 A100-80GB GPU-hours: at 312 TFLOP/s that is an MFU of 39.1%.');
};

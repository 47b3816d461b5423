// The memory calculator at its default (Llama 2 7B, K = 8, micro-batch 1 × 4096 tokens, no
// recomputation): the data-parallel and ZeRO rows are memoryPerDevice's weights, gradients,
// optimizer, activations and total.
import { expect } from 'vitest';
import { formatBytes, PARAMETER_PRESETS } from '../../../src/chapters/anatomy';
import { DEVICE_MEMORY_BYTES, memoryPerDevice, STRATEGY_NAMES } from '../../../src/chapters/dataParallel';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget }) => {
  const config = PARAMETER_PRESETS.find((p) => p.id === 'llama-2-7b')!.config;
  const rows = await widget.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent ?? '')));
  for (const strategy of ['dp', 'zero1', 'zero2', 'zero3'] as const) {
    const memory = memoryPerDevice({ config, strategy, devices: 8, microBatch: 1, sequence: 4096, recompute: false });
    const row = rows.find((r) => r[0] === STRATEGY_NAMES[strategy]);
    expect(row, strategy).toBeDefined();
    expect(row!.slice(1, 6), strategy).toEqual([
      formatBytes(memory.weights),
      formatBytes(memory.gradients),
      formatBytes(memory.optimizer),
      formatBytes(memory.activations),
      `${formatBytes(memory.total)}${memory.total > DEVICE_MEMORY_BYTES ? ' (over 80 GB)' : ''}`,
    ]);
  }
};

import type { LlamaConfig } from '../../../src/llama/config';
import { referenceForward, type ReferenceOptions } from '../../../src/llama/reference';
import { PackedCorpus, type Batch } from '../../../src/llama/train';
import type { WeightMap } from '../../../src/llama/weights';

/** Float64 reference: mean over counted targets of -log softmax(logits)[target]. */
export function referenceLoss(config: LlamaConfig, weights: WeightMap, batch: Batch, opts: ReferenceOptions = {}): number {
  let sum = 0;
  let counted = 0;
  batch.inputs.forEach((row, b) => {
    const { logits } = referenceForward(config, weights, row, opts);
    logits.forEach((position, t) => {
      if (!batch.lossMask[b][t]) return;
      const max = Math.max(...position);
      const logSumExp = max + Math.log(position.reduce((s, x) => s + Math.exp(x - max), 0));
      sum += logSumExp - position[batch.targets[b][t]];
      counted++;
    });
  });
  return sum / counted;
}

/** A corpus of short "stories" over a 32-token vocabulary: 1, then a repeated pattern, then 2. */
export function toyCorpus(): PackedCorpus {
  return new PackedCorpus(
    Array.from({ length: 40 }, (_, i) => ({ ids: [1, ...Array.from({ length: 9 }, (_, j) => 3 + ((i + j * 5) % 29)), 2] })),
  );
}

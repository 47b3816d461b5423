/**
 * The LoRA chapter's op (loraUpdate): the engine's inspectLoraUpdate (src/llama/loraInspect.ts) on
 * a session's adapter. No worker globals here, so unit tests run it in Node as the worker does.
 */
import { inspectLoraUpdate, type LoraUpdateInspection } from '../llama/loraInspect';
import type { LoraTargetModule } from '../llama/loraConfig';
import type { LlamaModel } from '../llama/model';
import { checkInputLength, lengthLimit } from './limits';

/** One projection of a session's adapter: ΔW's singular values and what it adds to W x at one token. */
export function loraUpdateOf(model: LlamaModel, ids: number[], layer: number, module: LoraTargetModule, position?: number): LoraUpdateInspection {
  checkInputLength([ids], lengthLimit(model.config));
  return inspectLoraUpdate(model, ids, layer, module, position);
}

/**
 * The decodeTimeline op (the KV-cache chapter): greedy decoding token by token against the cache,
 * each step timed and, if asked, also recomputed over the whole prefix without a cache, streamed
 * step by step. No worker globals here, so unit tests run it in Node as the worker does.
 */
import { decodeTimeline, type DecodeTimeline, type DecodeTimelineStep } from '../llama/decodeTimeline';
import type { LlamaModel } from '../llama/model';
import type { DecodeTimelineArgs } from './messages';

/** The most decode steps one call may ask for (the model's context caps it further). */
export const TIMELINE_MAX_STEPS = 250;

/**
 * Runs decodeTimeline on the prompt's ids; `progress` gets every step; `step` is awaited between
 * steps (it lets quick ops run, and false stops the decoding: the result then has the steps so far).
 */
export async function decodeTimelineOf(
  model: LlamaModel,
  ids: number[],
  { steps, recompute, layer, head, warmup }: Omit<DecodeTimelineArgs, 'input' | 'session'>,
  progress: (step: DecodeTimelineStep) => void = () => {},
  step: () => Promise<boolean> = async () => true,
): Promise<DecodeTimeline> {
  if (!Number.isInteger(steps) || steps < 0 || steps > TIMELINE_MAX_STEPS) {
    throw new Error(`decodeTimeline: steps must be a whole number from 0 to ${TIMELINE_MAX_STEPS}. Received ${steps}.`);
  }
  return decodeTimeline(model, ids, {
    steps,
    recompute,
    layer,
    head,
    warmup,
    onStep: async (value) => {
      progress(value);
      return step();
    },
  });
}

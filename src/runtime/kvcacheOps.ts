/**
 * The decodeTimeline and beamSearch ops (the KV-cache chapter): greedy decoding token by token against the cache,
 * each step timed and, if asked, also recomputed over the whole prefix without a cache, streamed
 * step by step. No worker globals here, so unit tests run it in Node as the worker does.
 */
import { decodeTimeline, type DecodeTimeline, type DecodeTimelineStep } from '../llama/decodeTimeline';
import { generate, type BeamStep } from '../llama/generate';
import type { LlamaModel } from '../llama/model';
import type { BeamSearchArgs, BeamSearchResult, DecodeTimelineArgs } from './messages';

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

/** The most beams and new tokens one beamSearch call may ask for. */
export const BEAM_LIMITS = { minBeams: 2, maxBeams: 8, maxNewTokens: 64 } as const;

/**
 * Beam search on the prompt's ids reporting every step's live beams (best first, each with the row of
 * the previous step's cache it extends) and the finished hypotheses; `progress` gets each step and
 * `step` is awaited between steps (false stops it: the result is then the best beam so far).
 */
export async function beamSearchOf(
  model: LlamaModel,
  ids: number[],
  { numBeams, maxNewTokens, eosTokenId }: Omit<BeamSearchArgs, 'input' | 'session'>,
  progress: (step: BeamStep) => void = () => {},
  step: () => Promise<boolean> = async () => true,
): Promise<BeamSearchResult> {
  if (!Number.isInteger(numBeams) || numBeams < BEAM_LIMITS.minBeams || numBeams > BEAM_LIMITS.maxBeams) {
    throw new Error(`beamSearch: numBeams must be a whole number from ${BEAM_LIMITS.minBeams} to ${BEAM_LIMITS.maxBeams}. Received ${numBeams}.`);
  }
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > BEAM_LIMITS.maxNewTokens) {
    throw new Error(`beamSearch: maxNewTokens must be a whole number from 1 to ${BEAM_LIMITS.maxNewTokens}. Received ${maxNewTokens}.`);
  }
  const steps: BeamStep[] = [];
  const result = await generate(model, ids, {
    maxNewTokens,
    numBeams,
    eosTokenId: eosTokenId ?? model.config.eos_token_id,
    onBeamStep: async (value) => {
      steps.push(value);
      progress(value);
      return step();
    },
  });
  return { promptIds: result.ids.slice(0, result.ids.length - result.newIds.length), steps, newIds: result.newIds, score: result.score ?? 0, stopReason: result.stopReason };
}

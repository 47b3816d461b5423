/**
 * The anatomy chapter's ops (logitLens, knockOut): the engine's functions in src/llama/anatomy.ts
 * run on a session. No worker globals here, so unit tests run these ops in Node as the worker does.
 */
import { knockOutInPlace, knockOutPlan, logitLens, type KnockOut } from '../llama/anatomy';
import type { LlamaModel } from '../llama/model';
import { checkInputLength, lengthLimit } from './limits';
import { DEFAULT_SESSION, type KnockOutResult, type LogitLensOpResult, type SessionName } from './messages';
import type { Sessions } from './sessions';

/** The logit lens of one prompt at one position (default: the last), with the runtime's length limit. */
export async function logitLensOf(model: LlamaModel, ids: number[], position?: number): Promise<LogitLensOpResult> {
  if (ids.length === 0) throw new Error('logitLens needs at least one token.');
  checkInputLength([ids], lengthLimit(model.config));
  return { inputIds: ids, ...(await logitLens(model, ids, position)) };
}

/**
 * A trainable copy of session `from` (default: the shipped model) under `name`, with one piece
 * knocked out (zeroed). A session of that name made earlier is replaced, so a page can move the
 * knock-out around under one name. The target is checked before anything is copied.
 */
export function knockOutSession(sessions: Sessions, { name, from, target }: { name: SessionName; from?: SessionName; target: KnockOut }): KnockOutResult {
  if (name === DEFAULT_SESSION) throw new Error('The default session is the shipped model: name the knocked-out copy something else.');
  const { name: tensor } = knockOutPlan(sessions.model(from).config, target);
  if (sessions.names().includes(name)) sessions.drop(name);
  sessions.fork(name, from);
  const zeroedValues = knockOutInPlace(sessions.require(name).model, target);
  return { name, tensor, zeroedValues };
}

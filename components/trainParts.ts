// Pieces the training chapter's widgets share: the shipped fine-tunes' files and logs, and a
// forked session with a shipped LoRA adapter loaded (frozen), made once per page and model.
import type { RuntimeClient } from '../src/runtime/client';
import { ADAPTERS_PATH, RUNS_PATH } from '../src/chapters/training';

const BASE = import.meta.env?.BASE_URL ?? '/';

/** The shipped adapters a widget can switch to, by the name of their folder. */
export const ADAPTER_CHOICES = ['notes-lora', 'chat-sft-lora'] as const;
export type AdapterName = (typeof ADAPTER_CHOICES)[number];

/** A JSON file of this site, or an error naming the address and the HTTP status. */
export async function fetchJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const url = `${BASE}${path}`;
  const response = await fetch(url, { signal });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** The evaluation losses a shipped fine-tune's training-log.json records. */
export interface ShippedFinetuneLog {
  evalBefore: Record<string, number>;
  evalAfter: Record<string, number>;
  trainableParameters: number;
  options: { steps: number; peakLearningRate: number; batchSize: number; seqLength: number };
}

export function adapterLog(name: AdapterName, signal?: AbortSignal): Promise<ShippedFinetuneLog> {
  return fetchJson<ShippedFinetuneLog>(`${ADAPTERS_PATH}/${name}/training-log.json`, signal);
}

/** The log of the full fine-tune on the chat pairs (every weight trained), to compare with the SFT adapter. */
export function fullFinetuneLog(signal?: AbortSignal): Promise<ShippedFinetuneLog> {
  return fetchJson<ShippedFinetuneLog>(`${RUNS_PATH}/chat-sft-full/training-log.json`, signal);
}

/** Session name of a shipped adapter in the page's worker. */
export function adapterSession(name: AdapterName): string {
  return `train-adapter-${name}`;
}

const sessions = new WeakMap<object, Map<AdapterName, Promise<string>>>();

/**
 * A forked copy of the shipped model with the adapter's PEFT files loaded (frozen). Made once
 * per loaded model; a failure is not kept, so the next call tries again.
 */
export function ensureAdapterSession(runtime: RuntimeClient, name: AdapterName): Promise<string> {
  const key = runtime.model ?? runtime;
  let byName = sessions.get(key);
  if (!byName) sessions.set(key, (byName = new Map()));
  const existing = byName.get(name);
  if (existing) return existing;
  const made = (async () => {
    const folder = `${BASE}${ADAPTERS_PATH}/${name}`;
    const [weights, config] = await Promise.all([
      fetch(`${folder}/adapter_model.safetensors`).then((r) => {
        if (!r.ok) throw new Error(`${folder}/adapter_model.safetensors answered HTTP ${r.status}`);
        return r.arrayBuffer();
      }),
      fetch(`${folder}/adapter_config.json`).then((r) => {
        if (!r.ok) throw new Error(`${folder}/adapter_config.json answered HTTP ${r.status}`);
        return r.text();
      }),
    ]);
    const session = adapterSession(name);
    await runtime.fork(session);
    try {
      await runtime.call('loadAdapter', { session, files: { 'adapter_model.safetensors': new Uint8Array(weights), 'adapter_config.json': config }, trainable: false });
    } catch (error) {
      await runtime.call('dropSession', { name: session }).catch(() => undefined);
      throw error;
    }
    return session;
  })();
  byName.set(name, made);
  made.catch(() => byName!.delete(name));
  return made;
}

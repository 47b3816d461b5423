/**
 * The one way to load a model: `loadModelFiles(url | files)`, used by the page's worker (a
 * directory on the site), by a file picker (the reader's own files) and by Node (scripts, tests,
 * which read the files from disk and pass their bytes).
 *
 * A model is either
 *   - a Hugging Face folder: config.json, one .safetensors file, optional tokenizer.json, or
 *   - a llama2.c checkpoint (.bin), which carries its own config (optional tokenizer.json beside it).
 *
 * Every failure names the file and says what is wrong with it in plain words:
 *   "config.json is not valid JSON (Unexpected token 'h', "hello" is not valid JSON)."
 *   "model.safetensors is damaged or cut short: tensor w ends at byte 90, past the end of the file."
 *   "model.safetensors does not fit config.json: tensor model.norm.weight has shape [8] but the config expects [16]."
 */
import { parseConfig, type LlamaConfig } from './config';
import { readLlama2c } from './llama2c';
import { readSafetensors } from './safetensors';
import type { TokenizerJSON } from './tokenizer';
import { checkWeights, type WeightMap } from './weights';

export interface ModelFiles {
  config: LlamaConfig;
  weights: WeightMap;
  /** tokenizer.json as parsed, or null when there is none. */
  tokenizer: TokenizerJSON | null;
  /** The weight file's name (or URL), for messages. */
  weightsName: string;
}

/** Where a model comes from: a directory URL, or files by name (a file picker, a drop, Node). */
export type ModelSource =
  | { url: string; fetch?: typeof fetch }
  | { files: ReadonlyMap<string, Uint8Array> | readonly NamedFile[] };

/** What a browser File offers (and what a test can fake). */
export interface NamedFile {
  name: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Fetches or reads the files of `source` and parses them; see the module comment for the errors. */
export async function loadModelFiles(source: ModelSource): Promise<ModelFiles> {
  if ('url' in source) return loadFromUrl(source.url, source.fetch ?? fetch);
  const files = source.files instanceof Map ? source.files : await readNamedFiles(source.files as readonly NamedFile[]);
  return parseModelFiles(files);
}

/**
 * Parses a model from its files' bytes, keyed by file name (a directory's listing, or what the
 * reader picked). Paths are allowed as keys; only the last part of each is looked at.
 */
export function parseModelFiles(files: ReadonlyMap<string, Uint8Array>): ModelFiles {
  const byName = new Map([...files].map(([path, bytes]) => [path.split(/[\\/]/).at(-1)!, { path, bytes }]));
  const names = [...byName.keys()];
  const tokenizerFile = byName.get('tokenizer.json');
  const tokenizer = tokenizerFile ? parseJsonFile<TokenizerJSON>(tokenizerFile.path, tokenizerFile.bytes) : null;
  const checkpoints = names.filter((name) => name.endsWith('.bin'));
  const safetensors = names.filter((name) => name.endsWith('.safetensors'));
  if (safetensors.length === 0 && checkpoints.length === 1) {
    const { path, bytes } = byName.get(checkpoints[0])!;
    const { config, weights } = explain(path, 'is not a llama2.c checkpoint this page can read', () => readLlama2c(bytes));
    return { config, weights, tokenizer, weightsName: path };
  }
  if (safetensors.length !== 1) {
    throw new Error(
      safetensors.length === 0
        ? `No weights: expected one .safetensors file (with config.json) or one llama2.c .bin file; found ${describeNames(names)}.`
        : `Expected one .safetensors file; found ${safetensors.length} (${safetensors.join(', ')}).`,
    );
  }
  const configFile = byName.get('config.json');
  const weightsFile = byName.get(safetensors[0])!;
  if (!configFile) throw new Error(`${weightsFile.path} needs a config.json beside it; found ${describeNames(names)}.`);
  return parseSafetensorsModel(
    { name: configFile.path, bytes: configFile.bytes },
    { name: weightsFile.path, bytes: weightsFile.bytes },
    tokenizer,
  );
}

async function loadFromUrl(url: string, fetchFile: typeof fetch): Promise<ModelFiles> {
  const directory = new URL(url.endsWith('/') ? url : `${url}/`);
  const get = async (name: string, optional = false): Promise<Uint8Array | null> => {
    const address = new URL(name, directory).href;
    let response: Response;
    try {
      response = await fetchFile(address);
    } catch (error) {
      throw new Error(`${name} could not be fetched from ${address} (${error instanceof Error ? error.message : String(error)}).`);
    }
    if (optional && response.status === 404) return null;
    if (response.status === 404) throw new Error(`${name} is missing: ${address} answered HTTP 404 Not Found.`);
    if (!response.ok) throw new Error(`${name} could not be loaded: ${address} answered HTTP ${response.status} ${response.statusText}.`);
    return new Uint8Array(await response.arrayBuffer());
  };
  // fetched together, but a failure is reported in this order whichever answered first
  const settled = await Promise.allSettled([get('config.json'), get('model.safetensors'), get('tokenizer.json', true)]);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const [config, weights, tokenizer] = settled.map((result) => (result as PromiseFulfilledResult<Uint8Array | null>).value);
  return parseSafetensorsModel(
    { name: 'config.json', bytes: config! },
    { name: 'model.safetensors', bytes: weights! },
    tokenizer ? parseJsonFile<TokenizerJSON>('tokenizer.json', tokenizer) : null,
  );
}

function parseSafetensorsModel(
  configFile: { name: string; bytes: Uint8Array },
  weightsFile: { name: string; bytes: Uint8Array },
  tokenizer: TokenizerJSON | null,
): ModelFiles {
  const config = explain(configFile.name, 'is not a Llama config', () => parseConfig(parseJsonFile(configFile.name, configFile.bytes)));
  if (weightsFile.bytes.byteLength === 0) throw new Error(`${weightsFile.name} is empty (0 bytes).`);
  const weights = explain(weightsFile.name, 'is damaged or cut short', () => readSafetensors(weightsFile.bytes));
  explain(weightsFile.name, `does not fit ${configFile.name}`, () => checkWeights(config, weights));
  return { config, weights, tokenizer, weightsName: weightsFile.name };
}

/** JSON.parse of a file's text, or "NAME is not valid JSON (the parser's words)." */
function parseJsonFile<T = unknown>(name: string, bytes: Uint8Array): T {
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${name} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
}

/** Runs `read`; an error it throws becomes "NAME <problem>: <its message, first letter lowered>." */
function explain<T>(name: string, problem: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith(`${name} `)) throw error; // already says which file
    const detail = message.replace(/^safetensors: /, '').replace(/^LlamaConfig\./, 'field ');
    throw new Error(`${name} ${problem}: ${detail[0].toLowerCase()}${detail.slice(1)}${detail.endsWith('.') ? '' : '.'}`);
  }
}

function describeNames(names: readonly string[]): string {
  return names.length === 0 ? 'no files' : names.join(', ');
}

async function readNamedFiles(files: readonly NamedFile[]): Promise<Map<string, Uint8Array>> {
  const entries = await Promise.all(files.map(async (file) => [file.name, new Uint8Array(await file.arrayBuffer())] as const));
  return new Map(entries);
}

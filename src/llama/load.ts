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
import { isHuggingFaceTokenizer, tokenizerFromHuggingFace } from './hfTokenizer';
import { isLlama2cCheckpoint, readLlama2c } from './llama2c';
import { readLlama2cTokenizer } from './llama2cTokenizer';
import { checkConfigFeatures, checkFileSizes, checkModelLimits, checkWeightFeatures, type ModelLimits } from './modelLimits';
import { readSafetensors } from './safetensors';
import { Tokenizer, type TokenizerJSON } from './tokenizer';
import { checkWeights, type WeightMap } from './weights';

export interface ModelFiles {
  config: LlamaConfig;
  weights: WeightMap;
  /** tokenizer.json as parsed, or null when there is none. */
  tokenizer: TokenizerJSON | null;
  /** The weight file's name (or URL), for messages. */
  weightsName: string;
  /**
   * What to call the model in a banner: the folder the files came from, else the config's
   * _name_or_path, else the weight file's name without its extension ("stories260K").
   */
  modelName: string;
}

export interface LoadOptions {
  /** Refuse files, parameters, vocabularies and contexts past these (a reader's own model). */
  limits?: ModelLimits;
}

/** Where a model comes from: a directory URL, or files by name (a file picker, a drop, Node). */
export type ModelSource =
  | { url: string; fetch?: typeof fetch }
  | { files: ReadonlyMap<string, Uint8Array> | readonly NamedFile[] };

/** What a browser File offers (and what a test can fake). */
export interface NamedFile {
  name: string;
  /** A File's size, checked against the limits before it is read. */
  size?: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Fetches or reads the files of `source` and parses them; see the module comment for the errors. */
export async function loadModelFiles(source: ModelSource, options: LoadOptions = {}): Promise<ModelFiles> {
  if ('url' in source) return loadFromUrl(source.url, source.fetch ?? fetch, options);
  const files = source.files instanceof Map ? source.files : await readNamedFiles(source.files as readonly NamedFile[], options);
  return parseModelFiles(files, options);
}

/**
 * Parses a model from its files' bytes, keyed by file name (a directory's listing, or what the
 * reader picked). Paths are allowed as keys; only the last part of each is looked at.
 */
export function parseModelFiles(files: ReadonlyMap<string, Uint8Array>, { limits }: LoadOptions = {}): ModelFiles {
  if (limits) checkFileSizes([...files].map(([name, bytes]) => ({ name, size: bytes.byteLength })), limits);
  const byName = new Map([...files].map(([path, bytes]) => [path.split(/[\\/]/).at(-1)!, { path, bytes }]));
  const names = [...byName.keys()];
  const tokenizerFile = byName.get('tokenizer.json');
  const bins = names.filter((name) => name.endsWith('.bin'));
  // A llama2.c checkpoint is the .bin whose header predicts its size; another .bin is its tokenizer.
  const checkpoints = bins.filter((name) => isLlama2cCheckpoint(byName.get(name)!.bytes));
  const tokenizerBins = bins.filter((name) => !checkpoints.includes(name));
  const safetensors = names.filter((name) => name.endsWith('.safetensors'));
  if (safetensors.length === 0 && bins.length > 0) {
    if (checkpoints.length !== 1) {
      // one .bin that is no checkpoint: let the reader say what is wrong with it
      if (bins.length === 1) explain(bins[0], 'is not a llama2.c checkpoint this page can read', () => readLlama2c(byName.get(bins[0])!.bytes));
      throw new Error(
        checkpoints.length === 0
          ? `None of ${bins.join(', ')} is a llama2.c checkpoint (a header whose shapes add up to the file's size).`
          : `Expected one llama2.c checkpoint; found ${checkpoints.length} (${checkpoints.join(', ')}).`,
      );
    }
    if (tokenizerBins.length > 1) throw new Error(`Expected at most one llama2.c tokenizer (.bin); found ${tokenizerBins.length} (${tokenizerBins.join(', ')}).`);
    if (tokenizerBins.length === 1 && tokenizerFile) throw new Error(`Expected one tokenizer; found ${tokenizerBins[0]} and ${tokenizerFile.path}.`);
    const { path, bytes } = byName.get(checkpoints[0])!;
    const { config, weights } = explain(path, 'is not a llama2.c checkpoint this page can read', () => readLlama2c(bytes));
    if (limits) checkModelLimits(config, limits, path);
    const tokenizer = tokenizerBins.length === 1
      ? explain(tokenizerBins[0], 'is not a llama2.c tokenizer', () => readLlama2cTokenizer(byName.get(tokenizerBins[0])!.bytes))
      : tokenizerFile ? readTokenizerJson(tokenizerFile, config) : null;
    checkTokenizerFits(tokenizer, tokenizerBins[0] ?? tokenizerFile?.path, config, path);
    return { config, weights, tokenizer, weightsName: path, modelName: folderOf(path) ?? fileStem(path) };
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
    tokenizerFile ? { name: tokenizerFile.path, bytes: tokenizerFile.bytes } : null,
    { limits },
  );
}

async function loadFromUrl(url: string, fetchFile: typeof fetch, options: LoadOptions): Promise<ModelFiles> {
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
  const model = parseSafetensorsModel(
    { name: 'config.json', bytes: config! },
    { name: 'model.safetensors', bytes: weights! },
    tokenizer ? { name: 'tokenizer.json', bytes: tokenizer } : null,
    options,
  );
  return { ...model, modelName: directory.pathname.split('/').filter(Boolean).at(-1) ?? model.modelName };
}

function parseSafetensorsModel(
  configFile: { name: string; bytes: Uint8Array },
  weightsFile: { name: string; bytes: Uint8Array },
  tokenizerFile: { name: string; bytes: Uint8Array } | null,
  { limits }: LoadOptions,
): ModelFiles {
  const raw = parseJsonFile<Record<string, unknown>>(configFile.name, configFile.bytes);
  checkConfigFeatures(raw, configFile.name);
  const config = explain(configFile.name, 'is not a Llama config', () => parseConfig(raw));
  if (limits) checkModelLimits(config, limits, configFile.name);
  const tokenizer = tokenizerFile ? readTokenizerJson(tokenizerFile, config) : null;
  checkTokenizerFits(tokenizer, tokenizerFile?.name, config, configFile.name);
  if (weightsFile.bytes.byteLength === 0) throw new Error(`${weightsFile.name} is empty (0 bytes).`);
  const weights = explain(weightsFile.name, 'is damaged or cut short', () => readSafetensors(weightsFile.bytes));
  checkWeightFeatures(config, weights, weightsFile.name, configFile.name);
  explain(weightsFile.name, `does not fit ${configFile.name}`, () => checkWeights(config, weights));
  const named = typeof raw._name_or_path === 'string' && raw._name_or_path ? raw._name_or_path.split('/').at(-1)! : null;
  return { config, weights, tokenizer, weightsName: weightsFile.name, modelName: folderOf(weightsFile.name) ?? named ?? fileStem(weightsFile.name) };
}

/** tokenizer.json in the page's own form, or a Hugging Face one of the Llama 2 kind, as the page's form. */
function readTokenizerJson(file: { path?: string; name?: string; bytes: Uint8Array }, config: LlamaConfig): TokenizerJSON {
  const name = file.path ?? file.name!;
  const json = parseJsonFile<unknown>(name, file.bytes);
  if (!isHuggingFaceTokenizer(json)) return json as TokenizerJSON;
  return explain(name, 'is not a tokenizer this page can read', () =>
    tokenizerFromHuggingFace(json, { bosId: config.bos_token_id, eosId: config.eos_token_id }),
  );
}

/** A tokenizer must name exactly the model's vocabulary: every id the model predicts needs a piece. */
function checkTokenizerFits(tokenizer: TokenizerJSON | null, tokenizerName: string | undefined, config: LlamaConfig, configName: string): void {
  if (!tokenizer) return;
  explain(tokenizerName!, 'is not a tokenizer this page can read', () => Tokenizer.fromJSON(tokenizer));
  if (tokenizer.pieces.length === config.vocab_size) return;
  throw new Error(
    `${tokenizerName} does not fit ${configName}: it has ${tokenizer.pieces.length} tokens, the model's vocabulary has ${config.vocab_size}.`,
  );
}

/** "my-model/config.json" -> "my-model"; a bare name -> null. */
function folderOf(path: string): string | null {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts.length > 1 ? parts.at(-2)! : null;
}

/** "stories260K.bin" -> "stories260K". */
function fileStem(path: string): string {
  return path.split(/[\\/]/).at(-1)!.replace(/\.[^.]+$/, '');
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

async function readNamedFiles(files: readonly NamedFile[], { limits }: LoadOptions): Promise<Map<string, Uint8Array>> {
  // a File knows its size: refuse a too large one before reading it into memory
  const sized = files.filter((file): file is NamedFile & { size: number } => typeof (file as { size?: unknown }).size === 'number');
  if (limits && sized.length === files.length) checkFileSizes(sized, limits);
  const entries = await Promise.all(files.map(async (file) => [file.name, new Uint8Array(await file.arrayBuffer())] as const));
  return new Map(entries);
}

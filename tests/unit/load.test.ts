// src/llama/load.ts: the one model loader (worker, file picker, Node) and its messages, which
// name the file and the problem. Each broken case is built in memory from the tiny model.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { configToJSON } from '../../src/llama/config';
import { loadModelFiles, parseModelFiles } from '../../src/llama/load';
import { writeSafetensors } from '../../src/llama/safetensors';
import { tinyConfig, tinyTokenizerJSON, tinyWeights } from '../../scripts/make-tiny-model';
import { readModelFiles } from '../../scripts/load-model';

const config = tinyConfig();
const weights = tinyWeights(config, 2);
const encode = (text: string) => new TextEncoder().encode(text);
const configBytes = encode(JSON.stringify(configToJSON(config)));
const weightBytes = writeSafetensors(weights);
const tokenizerBytes = encode(JSON.stringify(tinyTokenizerJSON()));

/** The tiny model's files, with some replaced or left out (undefined). */
function files(changes: Record<string, Uint8Array | undefined> = {}): Map<string, Uint8Array> {
  const all: Record<string, Uint8Array | undefined> = {
    'config.json': configBytes,
    'model.safetensors': weightBytes,
    'tokenizer.json': tokenizerBytes,
    ...changes,
  };
  return new Map(Object.entries(all).filter((entry): entry is [string, Uint8Array] => entry[1] !== undefined));
}

/** A fetch that serves `served` under http://site/m/ and answers 404 for anything else. */
function fakeFetch(served: Map<string, Uint8Array>): typeof fetch {
  return (async (input: string | URL) => {
    const name = String(input).replace('http://site/m/', '');
    const bytes = served.get(name);
    return bytes ? new Response(bytes as unknown as BodyInit) : new Response('not here', { status: 404, statusText: 'Not Found' });
  }) as typeof fetch;
}

describe('parseModelFiles', () => {
  test('reads a Hugging Face folder: config, every weight, the tokenizer', () => {
    const model = parseModelFiles(files());
    expect(model.config).toEqual(config);
    expect(model.weightsName).toBe('model.safetensors');
    expect(model.tokenizer?.pieces).toHaveLength(260);
    const name = 'model.layers.1.self_attn.k_proj.weight';
    expect(model.weights.get(name)?.shape).toEqual([16, 32]);
    expect(Array.from(model.weights.get(name)!.data.slice(0, 4))).toEqual(Array.from(weights.get(name)!.data.slice(0, 4)));
  });

  test('config.json that is not JSON', () => {
    expect(() => parseModelFiles(files({ 'config.json': encode('<html>Not found</html>') }))).toThrow(
      /^config\.json is not valid JSON \(Unexpected token '<'.*\)\.$/,
    );
  });

  test('config.json that is JSON but not a Llama config names the field', () => {
    const bad = encode(JSON.stringify({ ...configToJSON(config), hidden_size: -1 }));
    expect(() => parseModelFiles(files({ 'config.json': bad }))).toThrow(
      'config.json is not a Llama config: field hidden_size: received -1, expected a positive integer.',
    );
  });

  test('a missing or empty safetensors file', () => {
    expect(() => parseModelFiles(files({ 'model.safetensors': undefined }))).toThrow(
      'No weights: expected one .safetensors file (with config.json) or one llama2.c .bin file; found config.json, tokenizer.json.',
    );
    expect(() => parseModelFiles(files({ 'model.safetensors': new Uint8Array(0) }))).toThrow('model.safetensors is empty (0 bytes).');
    expect(() => parseModelFiles(files({ 'config.json': undefined }))).toThrow(
      'model.safetensors needs a config.json beside it; found model.safetensors, tokenizer.json.',
    );
  });

  test('a truncated safetensors file names the first tensor that runs past the end', () => {
    const cut = weightBytes.subarray(0, weightBytes.byteLength - 100);
    expect(() => parseModelFiles(files({ 'model.safetensors': cut }))).toThrow(
      /^model\.safetensors is damaged or cut short: tensor [\w.]+ ends at byte \d+, past the end of the file\.$/,
    );
    expect(() => parseModelFiles(files({ 'model.safetensors': weightBytes.subarray(0, 5) }))).toThrow(
      'model.safetensors is damaged or cut short: file of 5 bytes is too short for a header.',
    );
  });

  test('weights whose shapes do not match the config', () => {
    const wider = encode(JSON.stringify({ ...configToJSON(config), intermediate_size: 48 }));
    expect(() => parseModelFiles(files({ 'config.json': wider }))).toThrow(
      'model.safetensors does not fit config.json: tensor model.layers.0.mlp.gate_proj.weight has shape [64,32] but the config expects [48,32].',
    );
    const fewer = new Map(weights);
    fewer.delete('model.norm.weight');
    expect(() => parseModelFiles(files({ 'model.safetensors': writeSafetensors(fewer) }))).toThrow(
      'model.safetensors does not fit config.json: missing tensor model.norm.weight (expected shape [32]).',
    );
  });

  test('a tokenizer.json that is not JSON', () => {
    expect(() => parseModelFiles(files({ 'tokenizer.json': encode('{"pieces": [') }))).toThrow(/^tokenizer\.json is not valid JSON \(/);
  });

  test('reads a llama2.c checkpoint on its own (stories260K)', () => {
    const bin = new Uint8Array(readFileSync(new URL('../../../shared/fixtures/stories260K.bin', import.meta.url)));
    const model = parseModelFiles(new Map([['stories260K.bin', bin]]));
    expect(model.config.hidden_size).toBe(64);
    expect(model.config.rope_layout).toBe('interleaved');
    expect(model.tokenizer).toBeNull();
  });
});

describe('loadModelFiles', () => {
  test('from a URL: the same model as from the files', async () => {
    const model = await loadModelFiles({ url: 'http://site/m', fetch: fakeFetch(files()) });
    expect(model.config).toEqual(config);
    expect(model.weights.size).toBe(weights.size);
  });

  test('from a URL: a missing file is named with its address; tokenizer.json may be absent', async () => {
    await expect(loadModelFiles({ url: 'http://site/m/', fetch: fakeFetch(files({ 'model.safetensors': undefined })) })).rejects.toThrow(
      'model.safetensors is missing: http://site/m/model.safetensors answered HTTP 404 Not Found.',
    );
    // config.json is reported first, whichever answer came back first
    await expect(loadModelFiles({ url: 'http://site/m/', fetch: fakeFetch(new Map()) })).rejects.toThrow(
      'config.json is missing: http://site/m/config.json answered HTTP 404 Not Found.',
    );
    const noTokenizer = await loadModelFiles({ url: 'http://site/m/', fetch: fakeFetch(files({ 'tokenizer.json': undefined })) });
    expect(noTokenizer.tokenizer).toBeNull();
  });

  test('from picked files (File-like objects)', async () => {
    const picked = [...files()].map(([name, bytes]) => ({ name, arrayBuffer: async () => bytes.slice().buffer }));
    const model = await loadModelFiles({ files: picked });
    expect(model.config).toEqual(config);
  });
});

describe('readModelFiles (Node, scripts)', () => {
  test('prefixes the loader message with the --model path', () => {
    expect(() => readModelFiles('/nonexistent/model')).toThrow('--model /nonexistent/model: no such file or directory.');
    const shipped = readModelFiles('public/models/glass-llama');
    expect(shipped.config.vocab_size).toBe(1735);
    expect(shipped.tokenizer?.vocabSize).toBe(1735);
    expect(shipped.weightsPath).toBe('public/models/glass-llama/model.safetensors');
  });
});

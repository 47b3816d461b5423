// Bring your own model, the engine's part: the loader reads the stories260K checkpoint as a
// llama2.c .bin + tokenizer.bin and as a Hugging Face folder (config.json + model.safetensors +
// tokenizer.json, written here), the two tokenizer readers agree with run.c's encoder, and the
// limits refuse what the page cannot run with a sentence naming the problem.
// The tokenizer is a test fixture built by the test (helpers/testTokenizer.ts): stories260K ships none.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { configToJSON } from '../../src/llama/config';
import { tokenizerFromHuggingFace } from '../../src/llama/hfTokenizer';
import { readLlama2c, toRotateHalf } from '../../src/llama/llama2c';
import { readLlama2cTokenizer } from '../../src/llama/llama2cTokenizer';
import { loadModelFiles, parseModelFiles } from '../../src/llama/load';
import { LlamaModel } from '../../src/llama/model';
import { parameterCount, READER_MODEL_LIMITS } from '../../src/llama/modelLimits';
import { referenceForward } from '../../src/llama/reference';
import { writeSafetensors } from '../../src/llama/safetensors';
import { Tokenizer } from '../../src/llama/tokenizer';
import { useBackend } from './helpers/backends';
import {
  huggingFaceTokenizerJson,
  llama2cTokenizerBytes,
  referenceLlama2cEncode,
  trainTestTokenizer,
} from './helpers/testTokenizer';

const checkpoint = new Uint8Array(readFileSync('../shared/fixtures/stories260K.bin'));
const testTokenizer = trainTestTokenizer();
const tokenizerBin = llama2cTokenizerBytes(testTokenizer);
const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

/** stories260K as a Hugging Face folder: the HF (rotate_half) layout, config.json, F32 safetensors. */
function huggingFaceFolder(configChanges: Record<string, unknown> = {}, weightChanges: (weights: Map<string, { shape: number[]; data: Float32Array }>) => void = () => {}) {
  const { config, weights } = toRotateHalf(...(Object.values(readLlama2c(checkpoint)) as [never, never]));
  const copy = new Map(weights);
  weightChanges(copy);
  return new Map([
    ['stories260K-hf/config.json', encode({ ...configToJSON(config), ...configChanges })],
    ['stories260K-hf/model.safetensors', writeSafetensors(copy)],
    ['stories260K-hf/tokenizer.json', encode(huggingFaceTokenizerJson(testTokenizer))],
  ]);
}

const TEXTS = ['Once upon a time, there was a little girl named Lily.', 'The dog ran to the tree', 'Tom said, "Hi!" 你好 🙂', ' two  spaces', ''];

describe('the test tokenizer read both ways', () => {
  test('readLlama2cTokenizer gives run.c\'s token ids', () => {
    const tokenizer = Tokenizer.fromJSON(readLlama2cTokenizer(tokenizerBin));
    expect(tokenizer.vocabSize).toBe(512);
    expect([tokenizer.unkId, tokenizer.bosId, tokenizer.eosId]).toEqual([0, 1, 2]);
    for (const text of TEXTS) expect(tokenizer.encode(text), text).toEqual(referenceLlama2cEncode(testTokenizer, text));
    // a concrete case: "the" is learned whole, CJK falls back to bytes (你 = E4 BD A0, ids byte + 3)
    expect(tokenizer.encode('the 你').slice(-3)).toEqual([0xe4 + 3, 0xbd + 3, 0xa0 + 3]);
    expect(tokenizer.idToPiece(tokenizer.encode('the')[1])).toBe('\u2581the');
  });

  test('tokenizerFromHuggingFace gives the same ids and decodes back', () => {
    const tokenizer = Tokenizer.fromJSON(tokenizerFromHuggingFace(huggingFaceTokenizerJson(testTokenizer)));
    for (const text of TEXTS) {
      expect(tokenizer.encode(text), text).toEqual(referenceLlama2cEncode(testTokenizer, text));
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    }
  });

  test('other kinds of tokenizer.json are refused by name', () => {
    const byteLevel = { model: { type: 'BPE', vocab: { a: 0 }, merges: [] }, pre_tokenizer: { type: 'ByteLevel' } };
    expect(() => parseModelFiles(new Map([...huggingFaceFolder()].map(([name, bytes]) => [name, name.endsWith('tokenizer.json') ? encode(byteLevel) : bytes])))).toThrow(
      'stories260K-hf/tokenizer.json is not a tokenizer this page can read: it is a byte-level BPE tokenizer (the GPT-2 and Llama 3 kind); this page reads SentencePiece BPE with byte fallback (the Llama 2 kind).',
    );
    expect(() => tokenizerFromHuggingFace({ model: { type: 'Unigram', vocab: [] } })).toThrow('it is a Unigram tokenizer');
    expect(() => tokenizerFromHuggingFace({ model: { type: 'BPE', byte_fallback: true, vocab: { a: 0, c: 2 }, merges: [] } })).toThrow('no token has id 1');
  });
});

describe('stories260K loaded both ways', () => {
  beforeAll(() => useBackend('cpu'));

  test('.bin + tokenizer.bin and the Hugging Face folder give the float64 reference\'s logits', async () => {
    const fromBin = parseModelFiles(new Map([['stories260K.bin', checkpoint], ['tok512.bin', tokenizerBin]]), { limits: READER_MODEL_LIMITS });
    const fromFolder = await loadModelFiles({ files: [...huggingFaceFolder()].map(([name, bytes]) => ({ name, size: bytes.byteLength, arrayBuffer: async () => bytes.slice().buffer })) }, { limits: READER_MODEL_LIMITS });
    expect(fromBin.modelName).toBe('stories260K');
    expect(fromFolder.modelName).toBe('stories260K-hf');
    expect(fromBin.config.rope_layout).toBe('interleaved');
    expect(fromFolder.config.rope_layout).toBe('rotate_half');
    expect(parameterCount(fromBin.config)).toBe(parameterCount(fromFolder.config));
    // 512 x 64 embedding (tied) + 5 layers x (2 x 64 norms + 64x64 q, o + 2 x 32x64 k, v + 3 x 172x64) + 64
    expect(parameterCount(fromBin.config)).toBe(512 * 64 + 5 * (2 * 64 + 2 * 64 * 64 + 2 * 32 * 64 + 3 * 172 * 64) + 64);
    const ids = Tokenizer.fromJSON(fromBin.tokenizer!).encode('Once upon a time, there was');
    expect(Tokenizer.fromJSON(fromFolder.tokenizer!).encode('Once upon a time, there was')).toEqual(ids);
    const expected = referenceForward(fromBin.config, fromBin.weights, ids).logits;
    for (const files of [fromBin, fromFolder]) {
      const model = LlamaModel.fromWeights(files.config, files.weights);
      const { logits } = await model.run([ids]);
      model.dispose();
      let worst = 0;
      expected.forEach((row, t) => row.forEach((value, v) => (worst = Math.max(worst, Math.abs(value - logits.data[t * 512 + v])))));
      expect(worst).toBeLessThan(1e-5);
    }
  });
});

describe('what the page refuses', () => {
  const limits = READER_MODEL_LIMITS;
  const refuse = (configChanges: Record<string, unknown>, weightChanges?: Parameters<typeof huggingFaceFolder>[1]) =>
    () => parseModelFiles(huggingFaceFolder(configChanges, weightChanges), { limits });

  test('a config too big for the browser names the number and the limit', () => {
    // Llama 2 7B's layers with this vocabulary (tied): 32 x (4 x 4096² + 3 x 4096 x 11008 + 2 x 4096) + 512 x 4096 + 4096
    expect(refuse({ hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, vocab_size: 512 })).toThrow(
      'stories260K-hf/config.json describes a model of 6,478,368,768 parameters; this page runs at most 80,000,000 in the browser.',
    );
    expect(refuse({ vocab_size: 128_256 })).toThrow('stories260K-hf/config.json has a vocabulary of 128,256 tokens; this page takes at most 65,536.');
    expect(refuse({ max_position_embeddings: 131_072 })).toThrow(
      'stories260K-hf/config.json has a context of 131,072 tokens (max_position_embeddings); this page takes at most 2,048.',
    );
  });

  test('files too large together are refused before they are read', async () => {
    let read = false;
    const huge = { name: 'model.safetensors', size: 400e6, arrayBuffer: async () => ((read = true), new ArrayBuffer(0)) };
    await expect(loadModelFiles({ files: [huge] }, { limits })).rejects.toThrow(
      'These files are 400.0 MB together; this page loads at most 314.6 MB of model into the browser.',
    );
    expect(read).toBe(false);
  });

  test('features the engine does not implement', () => {
    expect(refuse({ architectures: ['MistralForCausalLM'] })).toThrow(
      'stories260K-hf/config.json describes a MistralForCausalLM model; this page runs Llama models (LlamaForCausalLM) only.',
    );
    expect(refuse({ attention_bias: true })).toThrow('stories260K-hf/config.json asks for biases in the attention projections (attention_bias: true); this page\'s Llama has none.');
    expect(refuse({ rope_scaling: { rope_type: 'llama3', factor: 8 } })).toThrow(
      'stories260K-hf/config.json asks for RoPE scaling of type "llama3"; this page knows "linear" and "dynamic" only.',
    );
    expect(refuse({}, (weights) => weights.set('model.layers.0.self_attn.q_proj.bias', { shape: [64], data: new Float32Array(64) }))).toThrow(
      'stories260K-hf/model.safetensors holds biases (model.layers.0.self_attn.q_proj.bias); this page\'s Llama has none.',
    );
  });

  test('a tied/untied mismatch between config and weights', () => {
    expect(refuse({ tie_word_embeddings: false })).toThrow(
      'stories260K-hf/model.safetensors has no lm_head.weight, but stories260K-hf/config.json says tie_word_embeddings: false (a separate output matrix). If the model reuses its embedding matrix, set tie_word_embeddings: true.',
    );
    const ownHead = (weights: Map<string, { shape: number[]; data: Float32Array }>) =>
      weights.set('lm_head.weight', { shape: [512, 64], data: new Float32Array(512 * 64).fill(0.5) });
    expect(refuse({}, ownHead)).toThrow('stories260K-hf/config.json says tie_word_embeddings: true (the output matrix is the embedding matrix), but stories260K-hf/model.safetensors has its own, different lm_head.weight.');
    // a tied checkpoint that carries a copy of the embedding loads
    const copyHead = (weights: Map<string, { shape: number[]; data: Float32Array }>) => weights.set('lm_head.weight', weights.get('model.embed_tokens.weight')!);
    expect(parseModelFiles(huggingFaceFolder({}, copyHead), { limits }).config.tie_word_embeddings).toBe(true);
  });

  test('a tokenizer for another vocabulary, and a bad checkpoint, get the loader\'s message', () => {
    const small = llama2cTokenizerBytes(trainTestTokenizer(300));
    expect(() => parseModelFiles(new Map([['stories260K.bin', checkpoint], ['tok300.bin', small]]))).toThrow(
      'tok300.bin does not fit stories260K.bin: it has 300 tokens, the model\'s vocabulary has 512.',
    );
    expect(() => parseModelFiles(new Map([['stories260K.bin', checkpoint.subarray(0, 1000)], ['tok512.bin', tokenizerBin]]))).toThrow(
      'None of stories260K.bin, tok512.bin is a llama2.c checkpoint (a header whose shapes add up to the file\'s size).',
    );
    expect(() => parseModelFiles(new Map([['stories260K.bin', checkpoint.subarray(0, 1000)]]))).toThrow(
      /^stories260K\.bin is not a llama2\.c checkpoint this page can read: llama2\.c checkpoint: the header .* needs 1056540 bytes, the file has 1000\.$/,
    );
  });
});

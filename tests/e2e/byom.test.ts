// Bring your own model, in Chromium against the built site. The reader's model is the stories260K
// fixture converted both ways: the llama2.c .bin with a tokenizer .bin, and a Hugging Face folder
// (config.json + model.safetensors + tokenizer.json) written here. Its tokenizer is a TEST FIXTURE
// built by the test (tests/unit/helpers/testTokenizer.ts): stories260K ships none, so the checks
// compare token ids and logits with the engine's Node forward of the same checkpoint.
//
// - the runtime (through /test/runtime/): load(files) both ways gives Node's logits to 1e-5; a too
//   big config is refused with the loader's message and the model stays; the shipped model comes
//   back with no tensor left behind;
// - a chapter page: the file picker moves the attention map onto the reader's model (its layers,
//   heads, tokens and probabilities), the bar says which model runs, a too big config gets its
//   message, and "Back to the shipped model" restores the figure; a figure about the shipped model
//   says so instead of running; a reload brings the shipped model back and says the files were not kept.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NAME_HEAD_PROMPT } from '../../src/chapters/attention';
import { configToJSON } from '../../src/llama/config';
import { readLlama2c, toRotateHalf } from '../../src/llama/llama2c';
import { LlamaModel } from '../../src/llama/model';
import { parameterCount } from '../../src/llama/modelLimits';
import { writeSafetensors } from '../../src/llama/safetensors';
import { Tokenizer } from '../../src/llama/tokenizer';
import { readLlama2cTokenizer } from '../../src/llama/llama2cTokenizer';
import type { getRuntime } from '../../src/runtime/client';
import { pieceLabel } from '../../src/widgets/pieces';
import { kitStrings } from '../../src/widgets/strings';
import { useNodeBackend } from '../../scripts/load-model';
import { huggingFaceTokenizerJson, llama2cTokenizerBytes, trainTestTokenizer } from '../unit/helpers/testTokenizer';
import { openSite, type OpenedPage, type Site } from './helpers';

type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

const checkpoint = new Uint8Array(readFileSync('../shared/fixtures/stories260K.bin'));
const testTokenizer = trainTestTokenizer();
const PROMPT_IDS = [1, 300, 301, 302, 303, 304, 305, 306];
const FILES_URL = '/byom-files/';
/** The files as the tests hand them over: name -> path under FILES_URL. */
const BIN_FILES = ['stories260K.bin', 'tok512.bin'];
const HF_FILES = ['stories260K-hf/config.json', 'stories260K-hf/model.safetensors', 'stories260K-hf/tokenizer.json'];
const TOO_BIG_FILES = ['too-big/config.json', 'too-big/model.safetensors'];
const TOO_BIG_MESSAGE = 'too-big/config.json describes a model of 6,478,368,768 parameters; this page runs at most 80,000,000 in the browser.';

let filesDir: string;
let site: Site;
/** Node's forward of the checkpoint (wasm backend): logits of PROMPT_IDS, and of the attention map's prompt. */
let nodeLogits: Float32Array;
/** The same for the Hugging Face form (rotate_half layout: the same maths, float32 sums in another order). */
let nodeLogitsHf: Float32Array;
let promptIds: number[];
/** layers.L.attn.probs [1, heads, seq, seq] of the map's prompt, by layer. */
let promptProbs: Float32Array[];

beforeAll(async () => {
  filesDir = mkdtempSync(join(tmpdir(), 'glass-llama-byom-'));
  const write = (name: string, bytes: Uint8Array | string) => {
    mkdirSync(join(filesDir, name, '..'), { recursive: true });
    writeFileSync(join(filesDir, name), bytes);
  };
  write('stories260K.bin', checkpoint);
  write('tok512.bin', llama2cTokenizerBytes(testTokenizer));
  const { config, weights } = readLlama2c(checkpoint);
  const huggingFace = toRotateHalf(config, weights);
  // as transformers' save_pretrained writes it, with the name the model was loaded under
  write('stories260K-hf/config.json', JSON.stringify({ _name_or_path: 'stories260K-hf', ...configToJSON(huggingFace.config) }));
  write('stories260K-hf/model.safetensors', writeSafetensors(huggingFace.weights));
  write('stories260K-hf/tokenizer.json', JSON.stringify(huggingFaceTokenizerJson(testTokenizer)));
  // Llama 2 7B's shape over this vocabulary: refused before its (absent) weights are read
  write('too-big/config.json', JSON.stringify({ ...configToJSON(huggingFace.config), hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32 }));
  write('too-big/model.safetensors', writeSafetensors(huggingFace.weights));

  await useNodeBackend('wasm');
  const model = LlamaModel.fromWeights(config, weights);
  try {
    nodeLogits = (await model.run([PROMPT_IDS])).logits.data;
    promptIds = Tokenizer.fromJSON(readLlama2cTokenizer(llama2cTokenizerBytes(testTokenizer))).encode(NAME_HEAD_PROMPT);
    const taps = Array.from({ length: config.num_hidden_layers }, (_, layer) => `layers.${layer}.attn.probs` as const);
    const { taps: probs } = await model.run([promptIds], { taps });
    promptProbs = taps.map((name) => probs[name].data);
  } finally {
    model.dispose();
  }
  const hfModel = LlamaModel.fromWeights(huggingFace.config, huggingFace.weights);
  try {
    nodeLogitsHf = (await hfModel.run([PROMPT_IDS])).logits.data;
  } finally {
    hfModel.dispose();
  }
  site = await openSite({ mounts: { [FILES_URL]: filesDir } });
});

afterAll(async () => {
  await site?.close();
  if (filesDir) rmSync(filesDir, { recursive: true, force: true });
});

function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('the runtime loads the reader\'s files', () => {
  let opened: OpenedPage;
  beforeAll(async () => {
    opened = await site.openPage('/test/runtime/?backend=wasm');
    await opened.page.getByText('ready', { exact: true }).waitFor();
  });
  afterAll(() => opened?.close());

  /** runtime.load(files) in the page, the files fetched from FILES_URL and made into File objects. */
  const loadFiles = (names: string[], ids: number[]) =>
    opened.page.evaluate(
      async ({ names, base, ids }) => {
        const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
        const files = await Promise.all(names.map(async (name) => new File([await (await fetch(base + name)).arrayBuffer()], name)));
        try {
          const summary = await runtime.load({ files });
          const { logits, inputIds } = await runtime.forward({ ids: [ids] });
          const text = await runtime.forward({ text: 'Once upon a time' });
          return { summary, logits: Array.from(logits.data), inputIds, textIds: text.inputIds[0], error: null };
        } catch (error) {
          return { error: (error as Error).message, vocab: runtime.model?.config.vocab_size };
        }
      },
      { names, base: FILES_URL, ids },
    );

  test('both forms of stories260K give the Node forward\'s logits; a too big one is refused; the shipped model comes back leak-free', async () => {
    const shipped = await opened.page.evaluate(async () => {
      const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
      await runtime.load('/models/glass-llama/');
      return { memory: await runtime.memory(), name: runtime.model!.name };
    });
    expect(shipped.name).toBe('glass-llama');
    const textIds = Tokenizer.fromJSON(readLlama2cTokenizer(llama2cTokenizerBytes(testTokenizer))).encode('Once upon a time');

    const fromBin = await loadFiles(BIN_FILES, PROMPT_IDS);
    if (fromBin.error !== null) throw new Error(fromBin.error);
    expect(fromBin.summary).toMatchObject({ name: 'stories260K', parameters: 260_032, files: BIN_FILES, hasTokenizer: true });
    expect(fromBin.summary!.config).toMatchObject({ num_hidden_layers: 5, vocab_size: 512, rope_layout: 'interleaved' });
    expect(largestDifference(fromBin.logits!, nodeLogits)).toBeLessThan(1e-5);
    expect(fromBin.textIds).toEqual(textIds);

    const fromFolder = await loadFiles(HF_FILES, PROMPT_IDS);
    if (fromFolder.error !== null) throw new Error(fromFolder.error);
    expect(fromFolder.summary).toMatchObject({ name: 'stories260K-hf', parameters: 260_032, hasTokenizer: true });
    expect(fromFolder.summary!.config.rope_layout).toBe('rotate_half');
    expect(largestDifference(fromFolder.logits!, nodeLogitsHf)).toBeLessThan(1e-5);
    // and the two forms are one model: the layouts agree to float32 rounding
    expect(largestDifference(nodeLogitsHf, nodeLogits)).toBeLessThan(1e-4);
    expect(fromFolder.textIds).toEqual(textIds);

    // refused with the loader's message; the reader's model stays loaded
    expect(await loadFiles(TOO_BIG_FILES, PROMPT_IDS)).toEqual({ error: TOO_BIG_MESSAGE, vocab: 512 });

    const back = await opened.page.evaluate(async () => {
      const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
      const summary = await runtime.load('/models/glass-llama/');
      return { memory: await runtime.memory(), vocab: summary.config.vocab_size, files: summary.files ?? null };
    });
    expect(back).toMatchObject({ vocab: 1735, files: null });
    expect(back.memory.numTensors).toBe(shipped.memory.numTensors);
    expect(opened.pageErrors).toEqual([]);
  });
});

describe('a chapter page runs the reader\'s model', () => {
  let opened: OpenedPage;
  beforeAll(async () => {
    opened = await site.openPage('/chapters/02-attention/?backend=wasm');
  });
  afterAll(() => opened?.close());

  const heatmap = () => opened.page.locator('[data-widget-id="attention-heatmap"]');
  /** The attention map once drawn: its layer and head counts, token labels and probabilities. */
  async function readMap() {
    const root = heatmap();
    await root.scrollIntoViewIfNeeded();
    await opened.page.waitForFunction(() => {
      const el = document.querySelector<HTMLElement>('[data-widget-id="attention-heatmap"]');
      return el?.dataset.drawn === 'true' && el.dataset.status !== 'loading' && el.querySelector('table.mw-hidden tbody tr');
    });
    return root.evaluate((el) => {
      const selects = [...el.querySelectorAll('select')];
      const rows = [...el.querySelectorAll('table.mw-hidden tbody tr')].map((tr) => [...tr.querySelectorAll('td, th')].map((cell) => cell.textContent ?? ''));
      return {
        layers: selects[0].options.length,
        heads: selects[1].options.length,
        layer: Number(selects[0].value),
        head: Number(selects[1].value),
        tokens: rows.map((row) => row[1]),
        probs: rows.map((row) => Number(row[2])),
      };
    });
  }
  const barText = () => opened.page.locator('[data-model-bar-text]').textContent();
  const barMessage = () => opened.page.locator('[data-model-bar-message]').textContent();

  test('the picker moves the figure onto the reader\'s model; the bar says so; back restores the shipped model', async () => {
    const shipped = await readMap();
    expect(shipped).toMatchObject({ layers: 4, heads: 4 });
    await opened.page.locator('[data-model-bar]').waitFor();
    expect(await barText()).toBe(kitStrings.modelPicker.shipped);

    await opened.page.locator('input[data-model-files]').first().setInputFiles(BIN_FILES.map((name) => join(filesDir, name)));
    await opened.page.waitForFunction(() => document.documentElement.dataset.model === 'reader');
    expect(await barText()).toBe(kitStrings.modelPicker.reader('stories260K', 260_032, 5, 512, true));
    const reader = await readMap();
    expect(reader).toMatchObject({ layers: 5, heads: 8 });
    // the test tokenizer's pieces of the prompt, and the Node forward's probabilities of the last row
    expect(reader.tokens).toEqual(promptIds.map((id) => pieceLabel(testTokenizer.pieces[id])));
    const seq = promptIds.length;
    const lastRow = Array.from(promptProbs[reader.layer].subarray(((reader.head * seq) + seq - 1) * seq, (reader.head * seq + seq) * seq));
    expect(largestDifference(reader.probs, lastRow.map((p) => Number(p.toFixed(4))))).toBeLessThan(2e-4);

    // a config too big for the page: the loader's message, and the figure keeps the reader's model
    await opened.page.locator('input[data-model-files]').first().setInputFiles(TOO_BIG_FILES.map((name) => join(filesDir, name)));
    await opened.page.waitForFunction(() => document.querySelector('[data-model-bar-message]')?.textContent?.includes('could not load'));
    expect(await barMessage()).toBe(kitStrings.modelPicker.couldNotLoad(TOO_BIG_MESSAGE.replace('too-big/', '')));
    expect(await opened.page.evaluate(() => document.documentElement.dataset.model)).toBe('reader');

    await opened.page.getByRole('button', { name: kitStrings.modelPicker.back }).click();
    await opened.page.waitForFunction(() => document.documentElement.dataset.model === 'shipped');
    expect(await barMessage()).toBe(kitStrings.modelPicker.shippedBack);
    expect(await readMap()).toEqual(shipped);
    expect(opened.pageErrors).toEqual([]);
    expect(opened.consoleErrors).toEqual([]);
  });
});

test('files dropped on the page load; a figure about the shipped model says so on the reader\'s model; a reload brings the shipped model back and says so', async () => {
  const opened = await site.openPage('/chapters/05-eval-and-dropout/?backend=wasm');
  try {
    const { page } = opened;
    const evalFigure = page.locator('[data-widget-id="forgotten-eval"]');
    // the bar comes with the first figure to start; the validation-loss figure further down has not started
    await page.locator('[data-widget]').first().scrollIntoViewIfNeeded();
    await page.locator('[data-model-bar]').waitFor();
    expect(await evalFigure.getAttribute('data-status')).toBe('idle');
    // dropped on the page, as a file manager drops them
    await page.evaluate(
      async ({ names, base }) => {
        const transfer = new DataTransfer();
        for (const name of names) transfer.items.add(new File([await (await fetch(base + name)).arrayBuffer()], name.split('/').at(-1)!));
        document.querySelector('main')!.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      },
      { names: HF_FILES, base: FILES_URL },
    );
    await page.waitForFunction(() => document.documentElement.dataset.model === 'reader');
    expect(await page.locator('[data-model-bar-text]').textContent()).toBe(kitStrings.modelPicker.reader('stories260K-hf', 260_032, 5, 512, true));
    await evalFigure.scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-widget-id="forgotten-eval"]')?.dataset.drawn === 'true');
    expect(await evalFigure.evaluate((el) => [el.dataset.live, el.dataset.status])).toEqual(['shipped-only', 'note']);
    const { needsShippedModel } = await import('../../components/ForgottenEval');
    expect(await evalFigure.locator('[data-widget-message]').textContent()).toBe(kitStrings.needsShippedModel(needsShippedModel));

    // the files are not kept: a reload brings the shipped model and says so
    await page.reload();
    await page.locator('[data-widget]').first().scrollIntoViewIfNeeded();
    await page.locator('[data-model-bar]').waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.model)).toBe('shipped');
    expect(await page.locator('[data-model-bar-message]').textContent()).toBe(kitStrings.modelPicker.notKept('stories260K-hf'));
    expect(opened.pageErrors).toEqual([]);
    expect(opened.consoleErrors).toEqual([]);
  } finally {
    await opened.close();
  }
});

test('parameterCount of stories260K is the 260,032 the bar shows', () => {
  expect(parameterCount(readLlama2c(checkpoint).config)).toBe(260_032);
});

// The model runtime (src/runtime) in headless Chromium against the built site, driven through
// the test page /test/runtime/ exactly as a widget drives it: one worker, load, forward, generate.
// The model is a tiny random Llama (scripts/make-tiny-model.ts) served at /test-models/tiny/.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generate } from '../../src/llama/generate';
import { LlamaModel } from '../../src/llama/model';
import { Tokenizer } from '../../src/llama/tokenizer';
import { AdamW, learningRateAt, PackedCorpus, trainStep, type TokenizedExample } from '../../src/llama/train';
import type { TrainArgs } from '../../src/runtime/messages';
import type { getRuntime } from '../../src/runtime/client';
import { useNodeBackend } from '../../scripts/load-model';
import { tinyConfig, tinyTokenizerJSON, tinyWeights, writeTinyModel } from '../../scripts/make-tiny-model';
import { DIST_DIR, launchChromium, openPage, serveDist, type OpenedPage, type ServedSite } from './helpers';

/** What src/pages/test/runtime.astro puts on window. */
type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

const TINY_SEED = 2;
const MODEL_URL = '/test-models/tiny/';
/** <s> "H" "e" "l" as byte tokens of the tiny tokenizer. */
const PROMPT = [1, 75, 104, 111];
const NEW_TOKENS = 16;
/**
 * On the backends that SwiftShader runs on the CPU (WebGPU, WebGL), every new sequence length
 * compiles new kernels (seconds each on a busy machine): they generate the first 6 tokens of the
 * reference, and run 4 generate calls in the leak test (a leak of one tensor per call shows after
 * one). wasm and cpu run the whole reference and 20 calls.
 */
const onSwiftShader = (backend: string) => backend === 'webgpu' || backend === 'webgl';
const newTokensOn = (backend: string) => (onSwiftShader(backend) ? 6 : NEW_TOKENS);
const generateCallsOn = (backend: string) => (onSwiftShader(backend) ? 4 : 20);
/**
 * SwiftShader runs WebGPU and WebGL on the CPU: a forward of the tiny model takes 0.3-2 s there
 * (more on a busy machine), so the tests that run many forwards get a generous limit.
 */
const MANY_FORWARDS_TIMEOUT_MS = 400_000;

let modelDir: string;
let server: ServedSite;
/** Chromium with a SwiftShader WebGPU adapter. */
let browser: Browser;
/** The greedy continuation computed in Node on wasm: what every browser backend must produce. */
let referenceIds: number[];
/** Smallest gap between the best and second-best logit along that continuation. */
let smallestMargin: number;

beforeAll(async () => {
  modelDir = mkdtempSync(join(tmpdir(), 'glass-llama-tiny-'));
  writeTinyModel(modelDir, TINY_SEED);
  ({ referenceIds, smallestMargin } = await nodeGreedyReference());
  // GLASS_LLAMA_RUNTIME_DIST lets this file run against a build in another directory.
  server = await serveDist({
    root: process.env.GLASS_LLAMA_RUNTIME_DIST ?? DIST_DIR,
    mounts: { [MODEL_URL]: modelDir },
  });
  browser = await launchChromium({ webgpu: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(modelDir, { recursive: true, force: true });
});

async function nodeGreedyReference(): Promise<{ referenceIds: number[]; smallestMargin: number }> {
  await useNodeBackend('wasm');
  const config = tinyConfig();
  const model = LlamaModel.fromWeights(config, tinyWeights(config, TINY_SEED));
  try {
    const { newIds } = await generate(model, PROMPT, { maxNewTokens: NEW_TOKENS, temperature: 0 });
    const sequence = [...PROMPT, ...newIds];
    const { logits } = await model.run([sequence.slice(0, -1)]);
    const vocab = config.vocab_size;
    let margin = Infinity;
    for (let position = PROMPT.length - 1; position < sequence.length - 1; position++) {
      const [best, second] = Array.from(logits.data.subarray(position * vocab, (position + 1) * vocab)).sort((a, b) => b - a);
      margin = Math.min(margin, best - second);
    }
    return { referenceIds: newIds, smallestMargin: margin };
  } finally {
    model.dispose();
  }
}

async function openRuntimePage(target: Browser, query = ''): Promise<OpenedPage> {
  const opened = await openPage(target, server.url, `/test/runtime/${query}`);
  await opened.page.getByText('ready', { exact: true }).waitFor();
  return opened;
}

test('the reference continuation has clear winners (backends may differ in the last bits)', () => {
  expect(referenceIds).toHaveLength(NEW_TOKENS);
  expect(smallestMargin).toBeGreaterThan(1e-3);
});

describe.each(['webgpu', 'webgl', 'wasm', 'cpu'] as const)('backend %s', (backend) => {
  let opened: OpenedPage;
  /** Every .wasm file the page or its worker fetched. */
  const wasmRequests: string[] = [];
  beforeAll(async () => {
    opened = await openRuntimePage(browser, `?backend=${backend}`);
    opened.context.on('request', (request) => {
      if (request.url().endsWith('.wasm')) wasmRequests.push(request.url());
    });
  });
  afterAll(async () => {
    await opened?.close();
  });

  test('loads the model on the requested backend', async () => {
    const summary = await opened.page.evaluate(async (modelUrl) => {
      const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
      return runtime.load(modelUrl);
    }, MODEL_URL);
    expect(summary.backend.name).toBe(backend);
    expect(summary.backend.reason).toBe(`${backend} was requested.`);
    expect(summary.hasTokenizer).toBe(true);
    expect(summary.config.vocab_size).toBe(260);
    // The wasm binaries come from this site's /tfjs/, and only the wasm backend fetches them.
    if (backend === 'wasm') expect(wasmRequests.length).toBeGreaterThan(0);
    else expect(wasmRequests).toEqual([]);
    for (const url of wasmRequests) expect(url.startsWith(`${server.url}/tfjs/tfjs-backend-wasm`)).toBe(true);
    expect(opened.offOriginRequests).toEqual([]);
  });

  test('greedy generation gives the same tokens as the engine in Node', async () => {
    const { streamed, result } = await opened.page.evaluate(
      async ({ prompt, newTokens }) => {
        const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
        const stream = runtime.generate({ ids: prompt, maxNewTokens: newTokens, temperature: 0, ignoreEos: true });
        const tokens = [];
        for await (const token of stream) tokens.push(token);
        return { streamed: tokens, result: await stream.result };
      },
      { prompt: PROMPT, newTokens: newTokensOn(backend) },
    );
    const expected = referenceIds.slice(0, newTokensOn(backend));
    expect(result.newIds).toEqual(expected);
    expect(result.stopReason).toBe('length');
    expect(streamed.map((token) => token.tokenId)).toEqual(expected);
    expect(streamed.map((token) => token.index)).toEqual(expected.map((_, i) => i));
    // The final text may add a character the stream held back because it never completed.
    expect(result.text.startsWith(streamed.map((token) => token.text).join(''))).toBe(true);
  }, MANY_FORWARDS_TIMEOUT_MS);

  test(`${generateCallsOn(backend)} generate calls, a forward with taps and forwards with an edited mask (one refused) leave the tensor count unchanged`, async () => {
    const { before, after, refused } = await opened.page.evaluate(async ({ prompt, calls }) => {
      const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
      const before = await runtime.memory();
      for (let call = 0; call < calls; call++) {
        await runtime.generate({ ids: prompt, maxNewTokens: 2, temperature: 0.8, topK: 20, seed: call }).result;
      }
      await runtime.forward({ text: 'Hi', taps: ['layers.0.attn.probs', 'final_norm'] });
      // the attention chapter's "Mask it": an edited mask, and one the engine refuses
      await runtime.forward({ ids: [[1, 5, 9]], queryKeyMask: [[1, 1, 0], [1, 1, 1], [0, 1, 1]] });
      const refused = await runtime.forward({ ids: [[1, 5, 9]], queryKeyMask: [[1, 0, 0], [0, 0, 0], [1, 1, 1]] }).then(
        () => 'ran',
        (error: Error) => error.message,
      );
      return { before, after: await runtime.memory(), refused };
    }, { prompt: PROMPT, calls: generateCallsOn(backend) });
    expect(refused).toBe('queryKeyMask row 1 hides every key. Expected each query to see at least one key');
    expect(before.numTensors).toBeGreaterThan(0);
    expect(after.numTensors).toBe(before.numTensors);
  }, MANY_FORWARDS_TIMEOUT_MS);
});

describe('cancel', () => {
  test('stops a generation within one token of the request', async () => {
    const opened = await openRuntimePage(browser, '?backend=wasm');
    try {
      const outcome = await opened.page.evaluate(async (modelUrl) => {
        const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
        await runtime.load(modelUrl);
        const stream = runtime.generate({ ids: [1], maxNewTokens: 100, temperature: 0, ignoreEos: true });
        let tokensWhenCancelled = -1;
        let tokensSeen = 0;
        for await (const _token of stream) {
          tokensSeen++;
          if (tokensSeen === 3) {
            stream.cancel();
            tokensWhenCancelled = tokensSeen;
          }
        }
        const result = await stream.result;
        // Breaking out of a for-await loop cancels too.
        const second = runtime.generate({ ids: [1], maxNewTokens: 100, temperature: 0, ignoreEos: true });
        for await (const _token of second) break;
        const secondResult = await second.result;
        return { tokensWhenCancelled, tokensSeen, result, secondResult };
      }, MODEL_URL);
      expect(outcome.result.stopReason).toBe('cancelled');
      // The page asked after seeing 3 tokens; the worker may have sent more before the message
      // reached it (that depends on speed), and it says how many: none follows that step.
      expect(outcome.result.cancelReadAfter).toBeGreaterThanOrEqual(outcome.tokensWhenCancelled);
      expect(outcome.result.newIds).toHaveLength(outcome.result.cancelReadAfter!);
      expect(outcome.result.newIds.length).toBeLessThan(100);
      expect(outcome.tokensSeen).toBe(outcome.result.newIds.length);
      expect(outcome.secondResult.stopReason).toBe('cancelled');
      expect(outcome.secondResult.cancelReadAfter).toBeGreaterThanOrEqual(1);
      expect(outcome.secondResult.newIds).toHaveLength(outcome.secondResult.cancelReadAfter!);
    } finally {
      await opened.close();
    }
  });
});

describe('backend choice', () => {
  test('navigator.gpu present but requestAdapter() null: WebGL and wasm are timed, the faster is used, and remembered for the tab', async () => {
    const withoutAdapter = await launchChromium({ webgpu: false });
    try {
      const opened = await openRuntimePage(withoutAdapter);
      const load = (modelUrl: string) =>
        (async () => {
          const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
          return { gpuPresent: 'gpu' in navigator, summary: await runtime.load(modelUrl) };
        })();
      const { gpuPresent, summary } = await opened.page.evaluate(load, MODEL_URL);
      expect(gpuPresent).toBe(true);
      const probe = summary.backend.probe!;
      expect(probe.map((timing) => timing.name)).toEqual(['wasm', 'webgl']);
      expect(probe[0].ms).toBeGreaterThan(0);
      const fastest = probe[1].ms < probe[0].ms ? 'webgl' : 'wasm';
      expect(summary.backend.name).toBe(fastest);
      expect(summary.backend.tried).toEqual([
        { name: 'webgpu', ok: false, error: 'navigator.gpu.requestAdapter() returned null (no usable GPU adapter)' },
        { name: 'wasm', ok: true },
        { name: 'webgl', ok: true },
      ]);
      expect(summary.backend.fallbacks).toEqual(['webgpu']);
      expect(summary.backend.note).toBe(`No WebGPU here: running on ${fastest === 'wasm' ? 'WebAssembly' : 'WebGL'}.`);
      // The same tab, a new page: the choice is not measured again.
      await opened.page.reload();
      await opened.page.getByText('ready', { exact: true }).waitFor();
      const again = (await opened.page.evaluate(load, MODEL_URL)).summary.backend;
      await opened.close();
      expect(again.name).toBe(fastest);
      expect(again.probe).toBeUndefined();
      expect(again.reason).toMatch(new RegExp(`^${fastest} was the fastest for this model on this device earlier in this session;`));
      expect(again.note).toBe(summary.backend.note);
    } finally {
      await withoutAdapter.close();
    }
  });

  test('with an adapter and no override, webgpu is chosen; ?backend=cuda is ignored with a note', async () => {
    for (const [query, note] of [
      ['', null],
      ['?backend=cuda', 'The link asks for the backend "cuda", which does not exist (webgpu, webgl, wasm, cpu); the page chose for itself. Running on WebGPU.'],
    ] as const) {
      const opened = await openRuntimePage(browser, query);
      try {
        const summary = await opened.page.evaluate(async (modelUrl) => {
          const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
          return runtime.load(modelUrl);
        }, MODEL_URL);
        expect(summary.backend.name).toBe('webgpu');
        expect(summary.backend.reason).toBe('webgpu works here.');
        expect(summary.backend.note).toBe(note);
      } finally {
        await opened.close();
      }
    }
  });
});

describe('errors', () => {
  test('a missing model and a model on another origin reject with clear messages', async () => {
    const opened = await openRuntimePage(browser, '?backend=cpu');
    try {
      const messages = await opened.page.evaluate(async () => {
        const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
        const failure = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: Error) => error.message);
        return {
          missing: await failure(runtime.load('/test-models/none/')),
          otherOrigin: await failure(runtime.load('https://example.com/models/x/')),
          noModel: await failure(runtime.forward({ ids: [[1]] })),
        };
      });
      expect(messages.missing).toBe(
        `config.json is missing: ${server.url}/test-models/none/config.json answered HTTP 404 Not Found.`,
      );
      expect(messages.otherOrigin).toBe(
        `The model must be served by this site (${server.url}). Received https://example.com/models/x/.`,
      );
      expect(messages.noModel).toBe('No model is loaded: call load(modelUrl) first.');
    } finally {
      await opened.close();
    }
  });
});

describe('faults', () => {
  /** The hostile link of issue 12: about 8,000 characters of "w0 w1 ... w1599". */
  const longText = Array.from({ length: 1600 }, (_, i) => `w${i}`).join(' ');
  const cjkText = '中'.repeat(8000);

  test('an over-long text or id row is refused before the model runs; the worker keeps working and holds nothing more', async () => {
    const tokenizer = Tokenizer.fromJSON(tinyTokenizerJSON());
    const longTokens = tokenizer.encode(longText, { bos: true }).length;
    const cjkTokens = tokenizer.encode(cjkText, { bos: true }).length;
    const opened = await openRuntimePage(browser, '?backend=wasm');
    try {
      const outcome = await opened.page.evaluate(
        async ({ modelUrl, longText, cjkText, prompt }) => {
          const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
          await runtime.load(modelUrl);
          const failure = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: Error) => error.message);
          const before = await runtime.forward({ ids: [prompt] });
          const memoryBefore = await runtime.memory();
          const messages = {
            forward: await failure(runtime.forward({ text: longText })),
            stretched: await failure(runtime.forward({ text: longText, ropeScaling: { rope_type: 'linear', factor: 4 } })),
            cjk: await failure(runtime.forward({ text: cjkText, taps: ['layers.0.attn.probs'] })),
            ids: await failure(runtime.forward({ ids: [new Array(8000).fill(5)] })),
            generate: await failure(runtime.generate({ text: cjkText, maxNewTokens: 4 }).result),
            loss: await failure(runtime.loss({ texts: ['Hi', longText], training: false })),
            batch: await failure(runtime.generateBatch({ texts: ['Hi', 'Hello'], paddingSide: 'left', useAttentionMask: true, usePositionIdsFromMask: true, maxNewTokens: 124 })),
          };
          const after = await runtime.forward({ ids: [prompt] });
          return { messages, memoryBefore, memoryAfter: await runtime.memory(), before: Array.from(before.logits.data), after: Array.from(after.logits.data), restarts: runtime.restarts };
        },
        { modelUrl: MODEL_URL, longText, cjkText, prompt: PROMPT },
      );
      expect(outcome.messages).toEqual({
        forward: `This text is ${longTokens.toLocaleString('en-US')} tokens; the model reads at most 128.`,
        stretched: `This text is ${longTokens.toLocaleString('en-US')} tokens; the model reads at most 1,024 with its RoPE scaling changed (8 times its context of 128).`,
        cjk: `This text is ${cjkTokens.toLocaleString('en-US')} tokens; the model reads at most 128.`,
        ids: 'This text is 8,000 tokens; the model reads at most 128.',
        generate: `This text is ${cjkTokens.toLocaleString('en-US')} tokens; the model reads at most 128.`,
        loss: `Row 2 is ${longTokens.toLocaleString('en-US')} tokens; the model reads at most 128.`,
        // <s> ▁ H i is 4 tokens and fits beside 124 new ones; <s> ▁ H e l l o (7) does not
        batch: 'Row 2 is 7 tokens; with 124 new tokens the model reads at most 4.',
      });
      expect(longTokens).toBeGreaterThan(8000); // one byte token per character, roughly
      expect(cjkTokens).toBe(24002); // <s>, the leading "▁", three UTF-8 byte tokens per character
      expect(outcome.after).toEqual(outcome.before);
      expect(outcome.memoryAfter).toEqual(outcome.memoryBefore);
      expect(outcome.restarts).toBe(0);
    } finally {
      await opened.close();
    }
  }, MANY_FORWARDS_TIMEOUT_MS);

  test('a worker crash fails only the request it was running; the next ones run on a new worker with the model reloaded', async () => {
    const opened = await openRuntimePage(browser, '?backend=wasm');
    try {
      const outcome = await opened.page.evaluate(
        async ({ modelUrl, prompt }) => {
          const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
          await runtime.load(modelUrl);
          const before = await runtime.forward({ ids: [prompt] });
          const stream = runtime.generate({ ids: prompt, maxNewTokens: 100, temperature: 0, ignoreEos: true });
          const waiting = runtime.forward({ ids: [prompt] }); // queued behind the generation
          for await (const _token of stream) {
            // What the browser does when the worker throws outside any request (or wasm traps):
            // an error event on the Worker object. The client must drop that worker.
            const worker = (runtime as unknown as { worker: Worker }).worker;
            worker.dispatchEvent(new ErrorEvent('error', { message: 'Uncaught RuntimeError: table index is out of bounds' }));
            break;
          }
          const crashed = await stream.result.then(() => 'resolved', (error: Error) => error.message);
          const queued = await waiting;
          const later = await runtime.forward({ ids: [prompt] });
          return {
            crashed,
            restarts: runtime.restarts,
            backend: runtime.backendInfo?.name,
            before: Array.from(before.logits.data),
            queued: Array.from(queued.logits.data),
            later: Array.from(later.logits.data),
          };
        },
        { modelUrl: MODEL_URL, prompt: PROMPT },
      );
      expect(outcome.crashed).toBe(
        'The model worker failed: Uncaught RuntimeError: table index is out of bounds. It restarts for the next request.',
      );
      expect(outcome.restarts).toBe(1);
      expect(outcome.backend).toBe('wasm');
      expect(outcome.queued).toEqual(outcome.before);
      expect(outcome.later).toEqual(outcome.before);
    } finally {
      await opened.close();
    }
  }, MANY_FORWARDS_TIMEOUT_MS);
});

describe('ops: sessions and training in the worker (wasm)', () => {
  const STEPS = 20;
  /** Short stories through the tiny byte tokenizer: about 40 tokens each. */
  function trainingExamples(): TokenizedExample[] {
    const tokenizer = Tokenizer.fromJSON(tinyTokenizerJSON());
    const names = ['Tom', 'Mia', 'Ben', 'Sue', 'Lily', 'Max'];
    return names.map((name, i) => ({ ids: [...tokenizer.encode(`${name} had ${i + 2} red kites and a dog.`, { bos: true }), 2] }));
  }
  const trainArgs = (session: string, steps: number): TrainArgs => ({
    session,
    examples: trainingExamples(),
    batchSize: 2,
    seqLength: 16,
    seed: 5,
    steps,
    schedule: { peakLearningRate: 0.01, warmupSteps: 4, totalSteps: STEPS, finalFraction: 0.1 },
    maxGradNorm: 1,
  });

  let opened: OpenedPage;
  beforeAll(async () => {
    opened = await openRuntimePage(browser, '?backend=wasm');
    await opened.page.evaluate(async (modelUrl) => {
      const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
      await runtime.load(modelUrl);
    }, MODEL_URL);
  });
  afterAll(async () => {
    await opened?.close();
  });

  test(`${STEPS} trainSteps in the worker give the losses of the same ${STEPS} steps in Node (same seed)`, async () => {
    const args = trainArgs('trained', STEPS);
    const inPage = await opened.page.evaluate(async (args) => {
      const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
      await runtime.fork('trained');
      const progress: { step: number; loss: number }[] = [];
      const result = await runtime.trainSteps(args, { onProgress: ({ step, loss }) => progress.push({ step, loss }) });
      await runtime.dropSession('trained');
      return { result, progress };
    }, args);

    await useNodeBackend('wasm');
    const config = tinyConfig();
    const model = LlamaModel.fromWeights(config, tinyWeights(config, TINY_SEED), { trainable: true });
    const optimizer = new AdamW(model.params);
    const corpus = new PackedCorpus(args.examples);
    const nodeLosses: number[] = [];
    for (let step = 0; step < STEPS; step++) {
      const batch = corpus.randomBatch(args.batchSize, args.seqLength, args.seed, step);
      nodeLosses.push(trainStep(model, optimizer, batch, { learningRate: learningRateAt(step, args.schedule), maxGradNorm: args.maxGradNorm }).loss);
    }
    optimizer.dispose();
    model.dispose();

    expect(inPage.result).toMatchObject({ stepsRun: STEPS, stepsDone: STEPS, stopReason: 'steps' });
    expect(inPage.progress.map((p) => p.step)).toEqual(nodeLosses.map((_, step) => step));
    for (const [step, loss] of nodeLosses.entries()) expect(Math.abs(inPage.result.losses[step] - loss)).toBeLessThan(1e-5);
    expect(inPage.progress.map((p) => p.loss)).toEqual(inPage.result.losses);
    expect(nodeLosses[STEPS - 1]).toBeLessThan(nodeLosses[0] - 0.5); // it learned something
  }, MANY_FORWARDS_TIMEOUT_MS);

  test('a forward sent during training is answered between two steps; a cancel stops training with no step after it is read', async () => {
    const outcome = await opened.page.evaluate(async ({ args, prompt }) => {
      const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
      await runtime.fork('long');
      const controller = new AbortController();
      let steps = 0;
      let forwardAnsweredAfter: number | null = null;
      const result = await runtime.trainSteps(args, {
        signal: controller.signal,
        onProgress: () => {
          steps++;
          if (steps === 2) void runtime.forward({ ids: [prompt] }).then(() => (forwardAnsweredAfter = steps));
          // stop once the forward is answered: with one queue, it would wait for all 1000 steps
          if (forwardAnsweredAfter !== null && !controller.signal.aborted) controller.abort();
        },
      });
      await runtime.dropSession('long');
      return { result, steps, forwardAnsweredAfter };
    }, { args: trainArgs('long', 1000), prompt: PROMPT });
    expect(outcome.forwardAnsweredAfter).toBeGreaterThanOrEqual(2);
    expect(outcome.result.stopReason).toBe('cancelled');
    expect(outcome.result.stepsRun).toBeLessThan(1000);
    expect(outcome.result.cancelReadAfter).toBeGreaterThan(outcome.forwardAnsweredAfter!);
    expect(outcome.result.stepsRun).toBe(outcome.result.cancelReadAfter);
    expect(outcome.steps).toBe(outcome.result.stepsRun);
  }, MANY_FORWARDS_TIMEOUT_MS);

  test('two sessions do not share weights; the shipped model stays as loaded; 50 mixed ops leak no tensor', async () => {
    const outcome = await opened.page.evaluate(async ({ args, prompt }) => {
      const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
      const logitsOf = async (session?: string) => Array.from((await runtime.forward({ ids: [prompt], session })).logits.data);
      const shippedBefore = await logitsOf();
      const before = await runtime.memory();
      await runtime.fork('a');
      await runtime.fork('b');
      await runtime.trainSteps({ ...args, session: 'a', steps: 3 });
      const logits = { shipped: await logitsOf(), a: await logitsOf('a'), b: await logitsOf('b') };
      const refusals = {
        trainDefault: await runtime.trainSteps({ ...args, session: 'default', steps: 1 }).then(() => 'ran', (error: Error) => error.message),
        twice: await runtime.fork('a').then(() => 'ran', (error: Error) => error.message),
      };
      await runtime.dropSession('a');
      await runtime.dropSession('b');
      let ops = 0;
      for (let round = 0; round < 5; round++) {
        await runtime.fork('c');
        await runtime.trainSteps({ ...args, session: 'c', steps: 1 });
        await runtime.evaluate({ session: 'c', examples: args.examples, batchSize: 2, seqLength: 16, rows: 4 });
        await runtime.forward({ ids: [prompt], session: 'c', taps: ['layers.0.attn.probs'] });
        await runtime.loss({ ids: [prompt, prompt.slice(0, 2)], training: true, dropoutRate: 0.1, seed: round, session: 'c' });
        await runtime.generate({ ids: prompt, maxNewTokens: 3, temperature: 0.8, seed: round, session: 'c' }).result;
        await runtime.forward({ ids: [prompt] });
        await runtime.pieces(prompt);
        await runtime.forward({ text: 'w0 '.repeat(200) }).catch(() => null); // refused: too long
        await runtime.dropSession('c');
        ops += 10;
      }
      return { shippedBefore, logits, refusals, before, after: await runtime.memory(), ops };
    }, { args: trainArgs('a', 3), prompt: PROMPT });
    expect(outcome.logits.shipped).toEqual(outcome.shippedBefore);
    expect(outcome.logits.b).toEqual(outcome.shippedBefore); // a fork starts as an exact copy
    const change = outcome.logits.a.reduce((most, value, i) => Math.max(most, Math.abs(value - outcome.shippedBefore[i])), 0);
    expect(change).toBeGreaterThan(0.01); // training 'a' changed 'a' only
    expect(outcome.refusals).toEqual({
      trainDefault: 'The default session is the shipped model, which is frozen: fork it to train.',
      twice: 'A session named "a" exists already.',
    });
    expect(outcome.ops).toBe(50);
    expect(outcome.after).toEqual(outcome.before);
  }, MANY_FORWARDS_TIMEOUT_MS);

  test('LoRA, KV-cache and timing ops through the worker: 3 adapter steps leave the shipped logits, a reloaded adapter gives the same logits; no tensor leaks', async () => {
    const outcome = await opened.page.evaluate(async ({ args, prompt }) => {
      const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
      const logitsOf = async (session?: string) => Array.from((await runtime.forward({ ids: [prompt], session })).logits.data);
      const before = await runtime.memory();
      const shippedBefore = await logitsOf();
      await runtime.fork('lora');
      const attached = await runtime.call('attachLora', { session: 'lora', config: { r: 2, lora_alpha: 4, target_modules: ['q_proj', 'v_proj'] }, seed: 1 });
      const trained = await runtime.trainSteps({ ...args, session: 'lora', steps: 3 });
      const files = await runtime.call('saveAdapter', { session: 'lora' });
      await runtime.fork('reloaded');
      await runtime.call('loadAdapter', { session: 'reloaded', files });
      const logits = { shipped: await logitsOf(), lora: await logitsOf('lora'), reloaded: await logitsOf('reloaded') };
      await runtime.call('detachLora', { session: 'lora' });
      const detached = await logitsOf('lora');
      const frozen = await runtime.call('attachLora', { session: 'default', config: { r: 2, lora_alpha: 4, target_modules: ['q_proj'] }, seed: 1 }).then(() => 'ran', (error: Error) => error.message);
      await runtime.dropSession('lora');
      await runtime.dropSession('reloaded');
      const kvCache = await runtime.call('kvCache', { input: { ids: prompt }, layer: 1, head: 0 });
      const matmul = await runtime.call('timeMatmul', { m: 8, k: 16, n: 4, reps: 1 });
      const profile = await runtime.call('profileDecodeStep', { input: { ids: prompt } });
      return {
        shippedBefore, logits, detached, frozen, attached, trained, configText: files['adapter_config.json'],
        safetensorsBytes: files['adapter_model.safetensors'].length,
        kvCache: { length: kvCache.length, shapes: kvCache.layers.map((layer) => layer.keysShape), totalBytes: kvCache.totalBytes, keys: kvCache.contents!.keys },
        matmulFlops: matmul.flops, matmulBackend: matmul.backend,
        profile: { kernelCount: profile.kernelCount, flops: profile.flops, backend: profile.backend },
        before, after: await runtime.memory(),
      };
    }, { args: trainArgs('lora', 3), prompt: PROMPT });

    const config = tinyConfig(); // hidden 32, 2 layers, 4 heads of 8, 2 KV heads, intermediate 64
    expect(outcome.attached).toEqual({ config: { r: 2, lora_alpha: 4, target_modules: ['q_proj', 'v_proj'] }, parameters: 2 * (2 * 32 + 32 * 2 + 2 * 32 + 16 * 2), trainable: true });
    expect(outcome.trained).toMatchObject({ stepsRun: 3, stepsDone: 3, stopReason: 'steps' });
    expect(outcome.logits.shipped).toEqual(outcome.shippedBefore);
    const largest = (a: number[], b: number[]) => a.reduce((most, value, i) => Math.max(most, Math.abs(value - b[i])), 0);
    expect(largest(outcome.logits.lora, outcome.shippedBefore)).toBeGreaterThan(1e-3); // the adapter learned
    expect(largest(outcome.logits.reloaded, outcome.logits.lora)).toBeLessThan(1e-5);
    expect(largest(outcome.detached, outcome.shippedBefore)).toBeLessThan(1e-5);
    expect(outcome.frozen).toBe('The default session is the shipped model, which is frozen: fork it to attach an adapter.');
    expect(JSON.parse(outcome.configText)).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 4 });
    expect(outcome.safetensorsBytes).toBeGreaterThan(4 * outcome.attached.parameters);

    // the KV cache's keys of layer 1, KV head 0 are the forward's rotated keys of that head (Node, wasm)
    expect(outcome.kvCache).toMatchObject({ length: PROMPT.length, shapes: [[1, 2, PROMPT.length, 8], [1, 2, PROMPT.length, 8]], totalBytes: 2 * 2 * 2 * PROMPT.length * 8 * 4 });
    await useNodeBackend('wasm');
    const model = LlamaModel.fromWeights(config, tinyWeights(config, TINY_SEED));
    const { taps } = await model.run([PROMPT], { taps: ['layers.1.attn.k_rotated'] });
    model.dispose();
    const nodeKeys = Array.from({ length: PROMPT.length }, (_, t) => Array.from(taps['layers.1.attn.k_rotated'].data.subarray(t * 8, (t + 1) * 8)));
    expect(largest(outcome.kvCache.keys.flat(), nodeKeys.flat())).toBeLessThan(1e-4);

    expect(outcome.matmulFlops).toBe(2 * 8 * 16 * 4);
    expect(outcome.matmulBackend).toBe('wasm');
    expect(outcome.profile.kernelCount).toBe(1); // the frozen model's decode step is one fused kernel on wasm
    expect(outcome.profile.flops.lmHead).toBe(2 * 32 * config.vocab_size);
    expect(outcome.after).toEqual(outcome.before);
  }, MANY_FORWARDS_TIMEOUT_MS);
});

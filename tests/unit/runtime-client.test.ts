// RuntimeClient against a scripted stand-in for the worker: the ops protocol (call, progress,
// result, error), cancel through an AbortSignal, the wrappers, and recovery after a crash. The
// real worker is exercised in Chromium by tests/e2e/runtime.test.ts.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { RuntimeClient } from '../../src/runtime/client';
import type { AnyCallRequest, OpName, OpResult, RuntimeRequest, RuntimeResponse } from '../../src/runtime/messages';

/** Records what the client posts; the test answers through `reply` and its helpers. */
class ScriptedWorker {
  readonly posted: RuntimeRequest[] = [];
  onmessage: ((event: MessageEvent<RuntimeResponse>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  terminated = false;

  terminate(): void {
    this.terminated = true;
  }

  postMessage(message: RuntimeRequest): void {
    this.posted.push(message);
  }

  reply(response: RuntimeResponse): void {
    this.onmessage?.({ data: response } as MessageEvent<RuntimeResponse>);
  }

  /** started, then the result of call `requestId`. */
  result<Name extends OpName>(requestId: number, result: OpResult<Name> | Record<string, unknown>): void {
    this.reply({ type: 'started', requestId });
    this.reply({ type: 'result', requestId, result: result as OpResult<OpName> });
  }

  crash(message: string): void {
    this.onerror?.({ message, preventDefault() {} } as ErrorEvent);
  }

  calls(): AnyCallRequest[] {
    return this.posted.filter((message): message is AnyCallRequest => message.type === 'call');
  }
}

/** Every worker the client has started, the current one last. */
let workers: ScriptedWorker[];
let worker: ScriptedWorker;
let client: RuntimeClient;
const model = { modelUrl: 'http://127.0.0.1:4321/models/glass-llama/', backend: { name: 'wasm' } };

beforeEach(() => {
  vi.stubGlobal('location', new URL('http://127.0.0.1:4321/chapters/attention/?backend=wasm'));
  workers = [];
  client = new RuntimeClient(() => {
    worker = new ScriptedWorker();
    workers.push(worker);
    return worker as unknown as Worker;
  });
});
afterEach(() => vi.unstubAllGlobals());

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function loaded(): Promise<void> {
  const loading = client.load('/models/glass-llama/');
  worker.result(1, model);
  await loading;
}

describe('call', () => {
  test('posts { call, requestId, op, args }; progress goes to onProgress in order; the result resolves', async () => {
    const progress: unknown[] = [];
    const done = client.call('generate', { input: { ids: [1] }, options: { maxNewTokens: 2 } }, { onProgress: (token) => progress.push(token) });
    expect(worker.posted).toEqual([{ type: 'call', requestId: 1, op: 'generate', args: { input: { ids: [1] }, options: { maxNewTokens: 2 } } }]);
    worker.reply({ type: 'started', requestId: 1 });
    worker.reply({ type: 'progress', requestId: 1, progress: { index: 0, tokenId: 7, text: 'a' } });
    worker.reply({ type: 'progress', requestId: 1, progress: { index: 1, tokenId: 8, text: 'b' } });
    worker.reply({ type: 'result', requestId: 1, result: { promptIds: [1], newIds: [7, 8], text: 'ab', stopReason: 'length' } });
    expect(await done).toEqual({ promptIds: [1], newIds: [7, 8], text: 'ab', stopReason: 'length' });
    expect(progress).toEqual([{ index: 0, tokenId: 7, text: 'a' }, { index: 1, tokenId: 8, text: 'b' }]);
  });

  test('aborting the signal sends cancel for that call; a cancelled error rejects with an AbortError', async () => {
    const controller = new AbortController();
    const other = client.call('memory', {});
    const done = client.call('loss', { input: { ids: [[1, 2]] }, options: { training: false } }, { signal: controller.signal });
    controller.abort();
    expect(worker.posted.at(-1)).toEqual({ type: 'cancel', target: 2 });
    worker.reply({ type: 'error', requestId: 2, message: 'Cancelled.', cancelled: true });
    await expect(done).rejects.toMatchObject({ name: 'AbortError', message: 'Cancelled.' });
    // a signal aborted before the call: nothing is sent
    await expect(client.call('memory', {}, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(worker.calls().map((call) => call.requestId)).toEqual([1, 2]);
    worker.result(1, { numTensors: 3, numBytes: 12 });
    expect(await other).toEqual({ numTensors: 3, numBytes: 12 });
  });
});

describe('RuntimeClient methods (wrappers over call)', () => {
  test('load resolves URLs against the page, passes ?backend= and shares one call per URL', async () => {
    expect(workers).toHaveLength(0); // the worker starts with the first call
    const first = client.load('/models/glass-llama');
    const second = client.load('/models/glass-llama/');
    expect(worker.posted).toEqual([
      {
        type: 'call',
        requestId: 1,
        op: 'load',
        args: {
          modelUrl: 'http://127.0.0.1:4321/models/glass-llama/',
          backend: 'wasm',
          unknownBackend: null,
          rememberedBackend: null,
          wasmPath: 'http://127.0.0.1:4321/tfjs/',
        },
      },
    ]);
    worker.result(1, model);
    expect(await first).toBe(await second);
    expect(client.backendInfo).toEqual({ name: 'wasm' });
  });

  test('?backend=cuda is passed on as unknown (the worker chooses as usual); a probed choice is remembered for the session', async () => {
    vi.stubGlobal('location', new URL('http://127.0.0.1:4321/embed/rope-stretch/?backend=cuda'));
    const stored = new Map<string, string>();
    vi.stubGlobal('sessionStorage', { getItem: (key: string) => stored.get(key) ?? null, setItem: (key: string, value: string) => stored.set(key, value) });
    const loading = client.load('/models/glass-llama/');
    expect(worker.calls()[0].args).toMatchObject({ backend: null, unknownBackend: 'cuda', rememberedBackend: null });
    const backend = { name: 'wasm', probe: [{ name: 'wasm', ms: 1400 }, { name: 'webgl', ms: 4200 }] };
    worker.result(1, { backend });
    await loading;
    expect(stored).toEqual(new Map([['glass-llama:backend:http://127.0.0.1:4321/models/glass-llama/', 'wasm']]));
    // a second page of the same tab (a new client) skips the probe
    const next = new RuntimeClient(() => {
      worker = new ScriptedWorker();
      return worker as unknown as Worker;
    });
    void next.load('/models/glass-llama/');
    expect(worker.calls()[0].args).toMatchObject({ rememberedBackend: 'wasm' });
  });

  test('forward splits the input from the options and resolves to the result', async () => {
    const result = client.forward({ text: 'Hi', bos: false, taps: ['final_norm'] });
    expect(worker.posted[0]).toEqual({
      type: 'call',
      requestId: 1,
      op: 'forward',
      args: { input: { text: 'Hi', bos: false }, options: { taps: ['final_norm'] } },
    });
    const logits = { shape: [1, 1, 2], data: Float32Array.from([0.5, -1]) };
    worker.result(1, { inputIds: [[7]], logits, taps: {} });
    expect(await result).toEqual({ inputIds: [[7]], logits, taps: {} });
  });

  test('generate streams tokens in order to a for-await loop, then resolves the result', async () => {
    const stream = client.generate({ ids: [1], maxNewTokens: 2, temperature: 0 });
    expect(worker.posted[0]).toEqual({
      type: 'call',
      requestId: 1,
      op: 'generate',
      args: { input: { ids: [1] }, options: { maxNewTokens: 2, temperature: 0 } },
    });
    worker.reply({ type: 'started', requestId: 1 });
    worker.reply({ type: 'progress', requestId: 1, progress: { index: 0, tokenId: 40, text: ' a' } });
    worker.reply({ type: 'progress', requestId: 1, progress: { index: 1, tokenId: 41, text: 'b' } });
    worker.reply({ type: 'result', requestId: 1, result: { promptIds: [1], newIds: [40, 41], text: ' ab', stopReason: 'length' } });
    const texts: string[] = [];
    for await (const token of stream) texts.push(token.text);
    expect(texts).toEqual([' a', 'b']);
    expect(await stream.result).toEqual({ promptIds: [1], newIds: [40, 41], text: ' ab', stopReason: 'length' });
  });

  test('leaving the loop early sends cancel for that generation only', async () => {
    const other = client.generate({ ids: [1], maxNewTokens: 5 });
    const stream = client.generate({ ids: [1], maxNewTokens: 5 });
    worker.reply({ type: 'progress', requestId: 2, progress: { index: 0, tokenId: 9, text: '' } });
    for await (const _token of stream) break;
    expect(worker.posted.at(-1)).toEqual({ type: 'cancel', target: 2 });
    worker.result(2, { promptIds: [1], newIds: [9], text: '', stopReason: 'cancelled', cancelReadAfter: 1 });
    expect((await stream.result).stopReason).toBe('cancelled');
    // cancel() on the client reaches the generation still running, and only that one.
    client.cancel();
    expect(worker.posted.at(-1)).toEqual({ type: 'cancel', target: 1 });
    expect(worker.posted.filter((message) => message.type === 'cancel')).toHaveLength(2);
    worker.result(1, { promptIds: [1], newIds: [], text: '', stopReason: 'cancelled', cancelReadAfter: 0 });
    await other.result;
  });

  test('worker errors reject with the worker message; bad options never reach the worker', async () => {
    const forward = client.forward({ ids: [[1]] });
    worker.reply({ type: 'error', requestId: 1, message: 'No model is loaded: call load(modelUrl) first.' });
    await expect(forward).rejects.toThrow('No model is loaded: call load(modelUrl) first.');

    const bad = client.generate({ ids: [1], maxNewTokens: 3, topP: 0 });
    await expect(bad.result).rejects.toThrow('topP must be a number in (0, 1]');
    const zero = client.generate({ ids: [1], maxNewTokens: 0 });
    await expect(zero.result).rejects.toThrow('maxNewTokens must be an integer >= 1. Received 0.');
    expect(worker.posted).toHaveLength(1);
    await expect(client.forward({ ids: [[1]], text: 'x' } as never)).rejects.toThrow('Pass exactly one of ids (token ids) or text.');
  });
});

describe('faults', () => {
  test('a crashed worker fails only the calls it had started; the rest go to a new worker after the model reloads', async () => {
    await loaded();
    const first = workers[0];
    const stream = client.generate({ ids: [1], maxNewTokens: 3 });
    const forward = client.forward({ ids: [[1, 2]] });
    first.reply({ type: 'started', requestId: 2 });
    first.crash('Uncaught RuntimeError: table index is out of bounds');
    await expect(stream.result).rejects.toThrow(
      'The model worker failed: Uncaught RuntimeError: table index is out of bounds. It restarts for the next request.',
    );
    expect(first.terminated).toBe(true);
    expect(workers).toHaveLength(2);
    // the new worker loads the model first, then gets the forward that was waiting, same id
    expect(workers[1].calls().map((call) => [call.op, call.requestId])).toEqual([
      ['load', 4],
      ['forward', 3],
    ]);
    expect(workers[1].calls()[0].args).toMatchObject({ modelUrl: 'http://127.0.0.1:4321/models/glass-llama/', backend: 'wasm' });
    // a late reply from the old worker is ignored
    first.reply({ type: 'error', requestId: 3, message: 'from the dead worker' });
    workers[1].result(4, model);
    const logits = { shape: [1, 2, 1], data: Float32Array.from([0.25, 0.5]) };
    workers[1].result(3, { inputIds: [[1, 2]], logits, taps: {} });
    expect((await forward).logits).toEqual(logits);
    expect(client.restarts).toBe(1);
    await settle();
  });

  test('a worker that fails before starting anything fails the oldest call only, so it is not retried forever', async () => {
    const memory = client.memory();
    const tokenizer = client.tokenizer();
    workers[0].crash('');
    await expect(memory).rejects.toThrow('The model worker failed: it could not start. It restarts for the next request.');
    expect(workers[1].calls().map((call) => call.op)).toEqual(['tokenizer']);
    workers[1].crash('');
    await expect(tokenizer).rejects.toThrow('The model worker failed: it could not start.');
    expect(workers).toHaveLength(2);
  });

  test('a fatal reply (the backend aborted) fails that call; the next call starts a new worker with the model', async () => {
    await loaded();
    const failing = client.forward({ text: 'w0 w1' });
    const message = "The model's backend crashed (Aborted()); it restarts for the next request.";
    workers[0].reply({ type: 'started', requestId: 2 });
    workers[0].reply({ type: 'error', requestId: 2, message, fatal: true });
    await expect(failing).rejects.toThrow(message);
    expect(workers[0].terminated).toBe(true);
    expect(workers).toHaveLength(1); // nothing waiting: no new worker yet
    const memory = client.memory();
    expect(workers).toHaveLength(2);
    expect(workers[1].calls().map((call) => call.op)).toEqual(['load', 'memory']);
    workers[1].result(4, model);
    workers[1].result(3, { numTensors: 40, numBytes: 1000 });
    expect(await memory).toEqual({ numTensors: 40, numBytes: 1000 });
    // the model is still there, and loading it again asks nothing new
    await client.load('/models/glass-llama/');
    expect(workers[1].posted).toHaveLength(2);
  });
});

// RuntimeClient against a scripted stand-in for the worker: request ids, streaming, cancel,
// and errors. The real worker is exercised in Chromium by tests/e2e/runtime.test.ts.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { RuntimeClient } from '../../src/runtime/client';
import type { RuntimeRequest, RuntimeResponse } from '../../src/runtime/messages';

/** Records what the client posts; the test answers through `reply`. */
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

  crash(message: string): void {
    this.onerror?.({ message, preventDefault() {} } as ErrorEvent);
  }
}

/** Every worker the client has started, the current one last. */
let workers: ScriptedWorker[];
let worker: ScriptedWorker;
let client: RuntimeClient;

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

describe('RuntimeClient', () => {
  test('load resolves URLs against the page, passes ?backend= and shares one request per URL', async () => {
    const first = client.load('/models/glass-llama');
    const second = client.load('/models/glass-llama/');
    expect(worker.posted).toEqual([
      {
        type: 'load',
        requestId: 1,
        modelUrl: 'http://127.0.0.1:4321/models/glass-llama/',
        backend: 'wasm',
        unknownBackend: null,
        rememberedBackend: null,
        wasmPath: 'http://127.0.0.1:4321/tfjs/',
      },
    ]);
    const model = { modelUrl: 'http://127.0.0.1:4321/models/glass-llama/', backend: { name: 'wasm' } };
    worker.reply({ type: 'loaded', requestId: 1, model } as unknown as RuntimeResponse);
    expect(await first).toBe(await second);
    expect(client.backendInfo).toEqual({ name: 'wasm' });
  });

  test('?backend=cuda is passed on as unknown (the worker chooses as usual); a probed choice is remembered for the session', async () => {
    vi.stubGlobal('location', new URL('http://127.0.0.1:4321/embed/rope-stretch/?backend=cuda'));
    const stored = new Map<string, string>();
    vi.stubGlobal('sessionStorage', { getItem: (key: string) => stored.get(key) ?? null, setItem: (key: string, value: string) => stored.set(key, value) });
    const loading = client.load('/models/glass-llama/');
    expect(worker.posted[0]).toMatchObject({ backend: null, unknownBackend: 'cuda', rememberedBackend: null });
    const backend = { name: 'wasm', probe: [{ name: 'webgl', ms: 4200 }, { name: 'wasm', ms: 1400 }] };
    worker.reply({ type: 'loaded', requestId: 1, model: { backend } } as unknown as RuntimeResponse);
    await loading;
    expect(stored).toEqual(new Map([['glass-llama:backend:http://127.0.0.1:4321/models/glass-llama/', 'wasm']]));
    // a second page of the same tab (a new client) skips the probe
    const next = new RuntimeClient(() => {
      worker = new ScriptedWorker();
      return worker as unknown as Worker;
    });
    void next.load('/models/glass-llama/');
    expect(worker.posted[0]).toMatchObject({ rememberedBackend: 'wasm' });
  });

  test('forward splits the input from the options and returns the reply without its envelope', async () => {
    const result = client.forward({ text: 'Hi', bos: false, taps: ['final_norm'] });
    expect(worker.posted[0]).toEqual({
      type: 'forward',
      requestId: 1,
      input: { text: 'Hi', bos: false },
      options: { taps: ['final_norm'] },
    });
    const logits = { shape: [1, 1, 2], data: Float32Array.from([0.5, -1]) };
    worker.reply({ type: 'forwarded', requestId: 1, inputIds: [[7]], logits, taps: {} });
    expect(await result).toEqual({ inputIds: [[7]], logits, taps: {} });
  });

  test('generate streams tokens in order to a for-await loop, then resolves the result', async () => {
    const stream = client.generate({ ids: [1], maxNewTokens: 2, temperature: 0 });
    expect(worker.posted[0]).toEqual({
      type: 'generate',
      requestId: 1,
      input: { ids: [1] },
      options: { maxNewTokens: 2, temperature: 0 },
    });
    worker.reply({ type: 'token', requestId: 1, index: 0, tokenId: 40, text: ' a' });
    worker.reply({ type: 'token', requestId: 1, index: 1, tokenId: 41, text: 'b' });
    worker.reply({ type: 'generated', requestId: 1, promptIds: [1], newIds: [40, 41], text: ' ab', stopReason: 'length' });
    const texts: string[] = [];
    for await (const token of stream) texts.push(token.text);
    expect(texts).toEqual([' a', 'b']);
    expect(await stream.result).toEqual({ promptIds: [1], newIds: [40, 41], text: ' ab', stopReason: 'length' });
  });

  test('leaving the loop early sends cancel for that request only', async () => {
    const other = client.generate({ ids: [1], maxNewTokens: 5 });
    const stream = client.generate({ ids: [1], maxNewTokens: 5 });
    worker.reply({ type: 'token', requestId: 2, index: 0, tokenId: 9, text: '' });
    for await (const _token of stream) break;
    expect(worker.posted.at(-1)).toEqual({ type: 'cancel', target: 2 });
    worker.reply({ type: 'generated', requestId: 2, promptIds: [1], newIds: [9], text: '', stopReason: 'cancelled' });
    expect((await stream.result).stopReason).toBe('cancelled');
    // cancel() on the client reaches the generation still running, and only that one.
    client.cancel();
    expect(worker.posted.at(-1)).toEqual({ type: 'cancel', target: 1 });
    worker.reply({ type: 'generated', requestId: 1, promptIds: [1], newIds: [], text: '', stopReason: 'cancelled' });
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
    await expect(client.forward({ ids: [[1]], text: 'x' } as never)).rejects.toThrow(
      'Pass exactly one of ids (token ids) or text.',
    );
  });

  test('a crashed worker fails only the request it was running; the rest go to a new worker after the model reloads', async () => {
    const loading = client.load('/models/glass-llama/');
    const model = { modelUrl: 'http://127.0.0.1:4321/models/glass-llama/', backend: { name: 'wasm' } };
    worker.reply({ type: 'loaded', requestId: 1, model } as unknown as RuntimeResponse);
    await loading;
    const first = workers[0];
    const stream = client.generate({ ids: [1], maxNewTokens: 3 });
    const forward = client.forward({ ids: [[1, 2]] });
    first.crash('Uncaught RuntimeError: table index is out of bounds');
    await expect(stream.result).rejects.toThrow(
      'The model worker failed: Uncaught RuntimeError: table index is out of bounds. It restarts for the next request.',
    );
    expect(first.terminated).toBe(true);
    expect(workers).toHaveLength(2);
    // the new worker loads the model first, then gets the forward that was waiting, same id
    expect(workers[1].posted.map((m) => [m.type, 'requestId' in m ? m.requestId : null])).toEqual([
      ['load', 4],
      ['forward', 3],
    ]);
    expect(workers[1].posted[0]).toMatchObject({ modelUrl: 'http://127.0.0.1:4321/models/glass-llama/', backend: 'wasm' });
    // a late reply from the old worker is ignored
    first.reply({ type: 'error', requestId: 3, message: 'from the dead worker' });
    workers[1].reply({ type: 'loaded', requestId: 4, model } as unknown as RuntimeResponse);
    const logits = { shape: [1, 2, 1], data: Float32Array.from([0.25, 0.5]) };
    workers[1].reply({ type: 'forwarded', requestId: 3, inputIds: [[1, 2]], logits, taps: {} });
    expect((await forward).logits).toEqual(logits);
    expect(client.restarts).toBe(1);
    await settle();
  });

  test('a fatal reply (the backend aborted) fails that request; the next request starts a new worker with the model', async () => {
    const loading = client.load('/models/glass-llama/');
    const model = { modelUrl: 'http://127.0.0.1:4321/models/glass-llama/', backend: { name: 'wasm' } };
    worker.reply({ type: 'loaded', requestId: 1, model } as unknown as RuntimeResponse);
    await loading;
    const failing = client.forward({ text: 'w0 w1' });
    const message = "The model's backend crashed (Aborted()); it restarts for the next request.";
    workers[0].reply({ type: 'error', requestId: 2, message, fatal: true });
    await expect(failing).rejects.toThrow(message);
    expect(workers[0].terminated).toBe(true);
    expect(workers).toHaveLength(1); // nothing waiting: no new worker yet
    const memory = client.memory();
    expect(workers).toHaveLength(2);
    expect(workers[1].posted.map((m) => m.type)).toEqual(['load', 'memory']);
    workers[1].reply({ type: 'loaded', requestId: 4, model } as unknown as RuntimeResponse);
    workers[1].reply({ type: 'memory', requestId: 3, numTensors: 40, numBytes: 1000 });
    expect(await memory).toEqual({ numTensors: 40, numBytes: 1000 });
    // the model is still there, and loading it again asks nothing new
    await client.load('/models/glass-llama/');
    expect(workers[1].posted).toHaveLength(2);
  });
});

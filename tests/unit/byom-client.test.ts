// Bring your own model, the page's part without a browser: RuntimeClient.load({ files }) against a
// scripted worker (what it posts, when it reads the files, what a failed load leaves), and
// selectModelFiles (which of a picked folder's files are read). The real worker and page are in
// tests/e2e/byom.test.ts.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { selectModelFiles } from '../../src/llama/modelLimits';
import { RuntimeClient, type ModelUpload } from '../../src/runtime/client';
import type { AnyCallRequest, RuntimeRequest, RuntimeResponse } from '../../src/runtime/messages';

let posted: RuntimeRequest[];
let reply: (response: RuntimeResponse) => void;
let client: RuntimeClient;

beforeEach(() => {
  vi.stubGlobal('location', new URL('http://127.0.0.1:4321/chapters/02-attention/'));
  posted = [];
  client = new RuntimeClient(() => {
    const worker = {
      onmessage: null as ((event: MessageEvent<RuntimeResponse>) => void) | null,
      postMessage: (message: RuntimeRequest) => posted.push(message),
      terminate() {},
    };
    reply = (response) => worker.onmessage?.({ data: response } as MessageEvent<RuntimeResponse>);
    return worker as unknown as Worker;
  });
});
afterEach(() => vi.unstubAllGlobals());

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A picked file: its bytes, and whether it has been read. */
function file(name: string, bytes: number[], size = bytes.length) {
  const made = { name, size, read: false, arrayBuffer: async () => ((made.read = true), new Uint8Array(bytes).buffer) };
  return made;
}

describe('RuntimeClient.load({ files })', () => {
  test('reads the files and posts their bytes by name; the same upload again is the same load', async () => {
    const upload: ModelUpload = { files: [file('stories260K.bin', [1, 2, 3]), file('tok512.bin', [4])] };
    const loading = client.load(upload);
    await settle();
    const call = posted[0] as AnyCallRequest & { op: 'load' };
    expect(call.op).toBe('load');
    expect(call.args.modelUrl).toBe('reader-files:1');
    expect(call.args.files).toEqual([
      { name: 'stories260K.bin', bytes: new Uint8Array([1, 2, 3]) },
      { name: 'tok512.bin', bytes: new Uint8Array([4]) },
    ]);
    expect(client.load(upload)).toBe(loading);
    const summary = { modelUrl: 'reader-files:1', name: 'stories260K', backend: { name: 'wasm' } };
    reply({ type: 'result', requestId: call.requestId, result: summary as never });
    expect(await loading).toEqual(summary);
    expect(client.model).toEqual(summary);
    // a new pick is another load, under a new key
    void client.load({ files: [file('stories260K.bin', [1, 2, 3])] });
    await settle();
    expect((posted[1] as AnyCallRequest & { op: 'load' }).args.modelUrl).toBe('reader-files:2');
  });

  test('files too large together are refused before they are read or posted', async () => {
    const huge = file('model.safetensors', [], 400e6);
    await expect(client.load({ files: [huge] })).rejects.toThrow('These files are 400.0 MB together; this page loads at most 314.6 MB of model into the browser.');
    expect(huge.read).toBe(false);
    expect(posted).toEqual([]);
  });

  test('a failed load keeps the model the client had, and is not remembered', async () => {
    const shipped = client.load('/models/glass-llama/');
    reply({ type: 'result', requestId: 1, result: { modelUrl: 'http://127.0.0.1:4321/models/glass-llama/', name: 'glass-llama', backend: { name: 'wasm' } } as never });
    await shipped;
    const upload = { files: [file('config.json', [123])] };
    const failing = client.load(upload);
    await settle();
    reply({ type: 'error', requestId: 2, message: 'config.json is not valid JSON (…).' });
    await expect(failing).rejects.toThrow('config.json is not valid JSON (…).');
    expect(client.model?.name).toBe('glass-llama');
    expect(client.load(upload)).not.toBe(failing);
  });
});

describe('selectModelFiles', () => {
  test('keeps the files a model is made of; a .safetensors folder drops its .bin copies', () => {
    const names = (list: string[]) => selectModelFiles(list.map((name) => ({ name }))).map((entry) => entry.name);
    expect(names(['m/config.json', 'm/model.safetensors', 'm/pytorch_model.bin', 'm/tokenizer.json', 'm/README.md', 'm/generation_config.json', 'm/tokenizer.model'])).toEqual([
      'm/config.json',
      'm/model.safetensors',
      'm/tokenizer.json',
    ]);
    expect(names(['stories15M.bin', 'tokenizer.bin', 'notes.txt'])).toEqual(['stories15M.bin', 'tokenizer.bin']);
  });
});

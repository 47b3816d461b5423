import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  backendFromQuery,
  backendOrder,
  chooseBackend,
  parseBackendName,
} from '../../src/runtime/backend';

const require = createRequire(import.meta.url);
/** The wasm binaries as a directory path (Node reads them from disk), with a trailing slash. */
const wasmPath = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/');

describe('backendOrder and the ?backend= override', () => {
  test('default order is webgpu > webgl > wasm > cpu; a request moves one to the front', () => {
    expect(backendOrder()).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(backendOrder('wasm')).toEqual(['wasm', 'webgpu', 'webgl', 'cpu']);
  });

  test('reads ?backend= from a query string and rejects unknown names', () => {
    expect(backendFromQuery('?backend=cpu&x=1')).toBe('cpu');
    expect(backendFromQuery('?x=1')).toBeNull();
    expect(() => backendFromQuery('?backend=tpu')).toThrow(
      "Unknown backend 'tpu'. Expected one of webgpu, webgl, wasm, cpu.",
    );
    expect(() => parseBackendName('WASM')).toThrow("Unknown backend 'WASM'");
  });
});

describe('chooseBackend in Node', () => {
  // Node has no WebGL and tfjs does not even register it there. Register a webgl backend whose
  // start fails, as in a browser that lists WebGL but cannot create a context in a worker:
  // tf.setBackend('webgl') then resolves to false (tfjs logs a warning).
  beforeAll(() => {
    tf.registerBackend('webgl', () => {
      throw new Error('could not create a WebGL context');
    });
  });
  afterAll(() => tf.removeBackend('webgl'));

  test('no navigator.gpu, WebGL failing to start: falls through to wasm and says why', async () => {
    const info = await chooseBackend({ wasmPath });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.tried.map(({ name, ok }) => [name, ok])).toEqual([
      ['webgpu', false],
      ['webgl', false],
      ['wasm', true],
    ]);
    expect(info.tried[0].error).toBe('navigator.gpu is missing (this browser does not expose WebGPU)');
    expect(info.tried[1].error).toBe("tf.setBackend('webgl') returned false");
    expect(info.fallbacks).toEqual(['webgpu', 'webgl']);
    expect(info.reason).toMatch(/^wasm is the first backend that works in the order webgpu > webgl > wasm > cpu; webgpu failed: navigator\.gpu is missing/);
  });

  test('navigator.gpu present but requestAdapter() resolving to null falls through', async () => {
    let webgpuImported = false;
    const info = await chooseBackend({
      wasmPath,
      gpu: { requestAdapter: async () => null },
      loadWebgpu: async () => {
        webgpuImported = true;
      },
    });
    expect(info.name).toBe('wasm');
    expect(info.tried[0]).toEqual({
      name: 'webgpu',
      ok: false,
      error: 'navigator.gpu.requestAdapter() returned null (no usable GPU adapter)',
    });
    // The WebGPU kernels are never downloaded when there is no adapter.
    expect(webgpuImported).toBe(false);
  });

  test('a requested wasm backend that fails to load falls through to the others, then cpu', async () => {
    const info = await chooseBackend(
      {
        wasmPath,
        loadWasm: async () => {
          throw new Error('fetch /tfjs/tfjs-backend-wasm-simd.wasm: 404');
        },
      },
      { requested: 'wasm' },
    );
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.reason).toBe(
      'cpu is the first backend that works in the order wasm > webgpu > webgl > cpu; ' +
        'wasm failed: fetch /tfjs/tfjs-backend-wasm-simd.wasm: 404; ' +
        'webgpu failed: navigator.gpu is missing (this browser does not expose WebGPU); ' +
        "webgl failed: tf.setBackend('webgl') returned false.",
    );
  });

  test('a requested backend that works is used and named as requested', async () => {
    const info = await chooseBackend({ wasmPath }, { requested: 'cpu' });
    expect(info).toEqual({
      name: 'cpu',
      reason: 'cpu was requested.',
      tried: [{ name: 'cpu', ok: true }],
      fallbacks: [],
    });
  });

  test('without fallback, a requested backend that fails throws with its reason', async () => {
    await expect(chooseBackend({ wasmPath }, { requested: 'webgl', fallback: false })).rejects.toThrow(
      "No tfjs backend could start: webgl failed: tf.setBackend('webgl') returned false.",
    );
  });
});

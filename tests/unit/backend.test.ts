import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  backendFromQuery,
  backendNote,
  backendOrder,
  backendRequestFromQuery,
  chooseBackend,
  fastestBackend,
  parseBackendName,
  type BackendName,
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

  test('pages read ?backend= leniently: an unknown name is kept aside, not thrown', () => {
    expect(backendRequestFromQuery('?backend=cuda')).toEqual({ requested: null, unknown: 'cuda' });
    expect(backendRequestFromQuery('?backend=webgl')).toEqual({ requested: 'webgl', unknown: null });
    expect(backendRequestFromQuery('?layer=2')).toEqual({ requested: null, unknown: null });
  });
});

describe('the sentence a page shows (BackendInfo.note)', () => {
  const info = (name: BackendName, fallbacks: BackendName[] = []) => ({ name, fallbacks });
  test('nothing on WebGPU; "No WebGPU here" after a fallback; "as requested" for a link', () => {
    expect(backendNote(info('webgpu'), null, null)).toBeNull();
    expect(backendNote(info('wasm', ['webgpu']), null, null)).toBe('No WebGPU here: running on WebAssembly.');
    expect(backendNote(info('webgl', ['webgpu']), null, null)).toBe('No WebGPU here: running on WebGL.');
    expect(backendNote(info('wasm'), 'wasm', null)).toBe('Running on WebAssembly, as requested.');
    expect(backendNote(info('cpu', ['webgl', 'webgpu', 'wasm']), 'webgl', null)).toBe(
      'WebGL could not start here: running on plain JavaScript on the CPU.',
    );
  });

  test('an unknown name in the link is named, then the usual sentence', () => {
    expect(backendNote(info('wasm', ['webgpu']), null, 'cuda')).toBe(
      'The link asks for the backend "cuda", which does not exist (webgpu, webgl, wasm, cpu); the page chose for itself. No WebGPU here: running on WebAssembly.',
    );
    expect(backendNote(info('webgpu'), null, 'cuda')).toBe(
      'The link asks for the backend "cuda", which does not exist (webgpu, webgl, wasm, cpu); the page chose for itself. Running on WebGPU.',
    );
  });
});

test('fastestBackend: the lowest time wins; a tie goes to the one timed first', () => {
  expect(fastestBackend([{ name: 'webgl', ms: 4200 }, { name: 'wasm', ms: 1400 }])).toBe('wasm');
  expect(fastestBackend([{ name: 'webgl', ms: 90 }, { name: 'wasm', ms: 1400 }])).toBe('webgl');
  expect(fastestBackend([{ name: 'webgl', ms: 50 }, { name: 'wasm', ms: 50 }])).toBe('webgl');
  expect(fastestBackend([{ name: 'webgl', ms: Infinity }, { name: 'wasm', ms: 3 }])).toBe('wasm');
});

describe('chooseBackend with a probe (Node: wasm and cpu stand in for WebGL and WebAssembly)', () => {
  const candidates: BackendName[] = ['wasm', 'cpu'];
  /** A probe that answers the injected time for each backend and records what it timed. */
  const probeWith = (times: Partial<Record<BackendName, number>>, timed: BackendName[]) => async (name: BackendName) => {
    expect(tf.getBackend()).toBe(name); // the probe runs on the backend it is timing
    timed.push(name);
    const ms = times[name];
    return ms === undefined ? new Promise<number>(() => {}) : ms;
  };

  test.each([
    [{ wasm: 1400, cpu: 300 }, 'cpu'],
    [{ wasm: 300, cpu: 1400 }, 'wasm'],
  ] as const)('times %o: %s is used', async (times, winner) => {
    const timed: BackendName[] = [];
    const info = await chooseBackend({ wasmPath }, { probe: probeWith(times, timed), candidates });
    expect(info.name).toBe(winner);
    expect(tf.getBackend()).toBe(winner);
    expect(timed).toEqual(['wasm', 'cpu']);
    expect(info.probe).toEqual([{ name: 'wasm', ms: times.wasm }, { name: 'cpu', ms: times.cpu }]);
    expect(info.fallbacks).toEqual(['webgpu']);
    expect(info.note).toBe(`No WebGPU here: running on ${winner === 'wasm' ? 'WebAssembly' : 'plain JavaScript on the CPU'}.`);
    expect(info.reason).toBe(
      `${winner} ran this model fastest on this device (wasm ${times.wasm} ms, cpu ${times.cpu} ms); webgpu failed: navigator.gpu is missing (this browser does not expose WebGPU).`,
    );
  });

  test('a candidate slower than twice the best so far is given up on (Infinity)', async () => {
    const info = await chooseBackend({ wasmPath }, { probe: probeWith({ wasm: 5 }, []), candidates });
    expect(info.name).toBe('wasm');
    expect(info.probe).toEqual([{ name: 'wasm', ms: 5 }, { name: 'cpu', ms: Infinity }]);
    expect(info.reason).toMatch(/^wasm ran this model fastest on this device \(wasm 5 ms, cpu gave up\)/);
  });

  test('a candidate whose probe throws counts as failed', async () => {
    const info = await chooseBackend(
      { wasmPath },
      {
        candidates,
        probe: async (name) => {
          if (name === 'cpu') throw new Error('out of memory');
          return 700;
        },
      },
    );
    expect(info.name).toBe('wasm');
    expect(info.tried.at(-1)).toEqual({ name: 'cpu', ok: false, error: 'the probe failed: out of memory' });
    expect(info.probe).toEqual([{ name: 'wasm', ms: 700 }]);
  });

  test("the session's earlier winner is used without timing anything", async () => {
    const timed: BackendName[] = [];
    const info = await chooseBackend({ wasmPath }, { probe: probeWith({ wasm: 1, cpu: 2 }, timed), candidates, remembered: 'cpu' });
    expect(info.name).toBe('cpu');
    expect(timed).toEqual([]);
    expect(info.probe).toBeUndefined();
    expect(info.reason).toMatch(/^cpu was the fastest for this model on this device earlier in this session;/);
  });

  test('an unknown ?backend= name is ignored and named in the note', async () => {
    const info = await chooseBackend({ wasmPath }, { unknown: 'cuda', probe: probeWith({ wasm: 1, cpu: 2 }, []), candidates });
    expect(info.name).toBe('wasm');
    expect(info.note).toBe(
      'The link asks for the backend "cuda", which does not exist (webgpu, webgl, wasm, cpu); the page chose for itself. No WebGPU here: running on WebAssembly.',
    );
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
      note: 'Running on plain JavaScript on the CPU, as requested.',
    });
  });

  test('without fallback, a requested backend that fails throws with its reason', async () => {
    await expect(chooseBackend({ wasmPath }, { requested: 'webgl', fallback: false })).rejects.toThrow(
      "No tfjs backend could start: webgl failed: tf.setBackend('webgl') returned false.",
    );
  });
});

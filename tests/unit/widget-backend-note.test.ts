// src/widgets/mount.ts backendNote: what the status line says about the backend in use.
import { expect, test } from 'vitest';
import { backendNote } from '../../src/widgets/mount';
import type { BackendInfo } from '../../src/runtime/client';

const backend = (name: BackendInfo['name'], fallbacks: BackendInfo['fallbacks']): BackendInfo => ({
  name,
  fallbacks,
  reason: 'details for the tooltip',
  tried: [],
});

test('says nothing on WebGPU', () => {
  expect(backendNote(backend('webgpu', []))).toBeNull();
});

test('names the backend in use when WebGPU failed', () => {
  expect(backendNote(backend('wasm', ['webgpu', 'webgl']))).toBe('No WebGPU here: running on WebAssembly.');
  expect(backendNote(backend('cpu', ['webgpu', 'webgl', 'wasm']))).toBe('No WebGPU here: running on plain JavaScript on the CPU.');
});

test('a backend chosen on purpose (?backend=wasm) is not blamed on WebGPU', () => {
  expect(backendNote(backend('wasm', []))).toBe('Running on WebAssembly, as requested.');
});

// @ts-check
// Copies the tfjs WebAssembly binaries from node_modules/@tensorflow/tfjs-backend-wasm/dist/ to
// public/tfjs/, so the wasm backend fetches them from this site (the worker calls
// setWasmPaths('/tfjs/')) and never from a CDN. The copies are build outputs (git-ignored).
// Runs from astro.config.mjs whenever Astro starts (dev, build, preview), or by hand:
//   node scripts/copy-tfjs-wasm.mjs
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * Copy tfjs-backend-wasm.wasm, -simd.wasm and -threaded-simd.wasm into publicDir/tfjs/.
 * @param {string} publicDir
 */
export function copyTfjsWasm(publicDir) {
  const wasmDist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const wasmFiles = readdirSync(wasmDist).filter((file) => file.endsWith('.wasm'));
  if (wasmFiles.length === 0) throw new Error(`copy-tfjs-wasm: no .wasm files in ${wasmDist}`);
  const out = join(publicDir, 'tfjs');
  mkdirSync(out, { recursive: true });
  for (const file of wasmFiles) copyFileSync(join(wasmDist, file), join(out, file));
  return wasmFiles;
}

/**
 * Astro integration: copy before Astro reads public/.
 * @returns {import('astro').AstroIntegration}
 */
export function tfjsWasmFiles() {
  return {
    name: 'glass-llama:tfjs-wasm',
    hooks: {
      'astro:config:setup': ({ config }) => {
        copyTfjsWasm(fileURLToPath(config.publicDir));
      },
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
  console.log(`copied to ${join(publicDir, 'tfjs')}: ${copyTfjsWasm(publicDir).join(', ')}`);
}

// The model a chapter's browser tests run: the shipped one once public/models/glass-llama/ has
// weights, else a random model of the shipped shape with the shipped tokenizer, served at the
// same URL. The same files load into the engine in Node, so a test can compare the page's
// numbers with the engine's. Tests assert relations to the engine, never memorised values.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { expect } from 'vitest';
import { configToJSON } from '../../src/llama/config';
import type { LlamaModel } from '../../src/llama/model';
import { writeSafetensors } from '../../src/llama/safetensors';
import type { Tokenizer } from '../../src/llama/tokenizer';
import { loadModel, useNodeBackend } from '../../scripts/load-model';
import { tinyWeights } from '../../scripts/make-tiny-model';
import { DEFAULT_OPTIONS, modelConfig } from '../../scripts/train';
import { DIST_DIR, REPO_ROOT, serveDist, type ServedSite } from './helpers';

const SHIPPED_DIR = join(REPO_ROOT, 'public', 'models', 'glass-llama');

export interface ChapterSite {
  server: ServedSite;
  /** The model in Node (wasm backend), the same weights the page loads. */
  model: LlamaModel;
  tokenizer: Tokenizer;
  close(): Promise<void>;
}

/**
 * Serves the built site (GLASS_LLAMA_CHAPTER_DIST, default dist/) with the chapter model at
 * /models/glass-llama/, and loads the same model in Node.
 */
export async function serveChapterSite(): Promise<ChapterSite> {
  const shipped = existsSync(join(SHIPPED_DIR, 'model.safetensors'));
  let standIn: string | null = null;
  if (!shipped) {
    standIn = mkdtempSync(join(tmpdir(), 'glass-llama-chapter-'));
    const config = modelConfig(DEFAULT_OPTIONS, 1735);
    writeFileSync(join(standIn, 'config.json'), JSON.stringify(configToJSON(config)));
    writeFileSync(join(standIn, 'model.safetensors'), writeSafetensors(tinyWeights(config, 3), { dtype: 'F32' }));
    copyFileSync(join(SHIPPED_DIR, 'tokenizer.json'), join(standIn, 'tokenizer.json'));
  }
  const modelDir = standIn ?? SHIPPED_DIR;
  await useNodeBackend('wasm');
  const { model, tokenizer } = loadModel(modelDir);
  const server = await serveDist({
    root: process.env.GLASS_LLAMA_CHAPTER_DIST ?? DIST_DIR,
    // Served from the same directory Node read, so both sides hold the same weights even when
    // the model was re-exported after dist/ was built.
    mounts: { '/models/glass-llama/': modelDir },
  });
  return {
    server,
    model,
    tokenizer: tokenizer!,
    close: async () => {
      await server.close();
      model.dispose();
      if (standIn) rmSync(standIn, { recursive: true, force: true });
    },
  };
}

/** Waits until the widget is not running the model; returns its status. */
export async function settled(widget: Locator): Promise<string> {
  await expect.poll(() => widget.getAttribute('data-status'), { timeout: 60_000 }).not.toBe('loading');
  return (await widget.getAttribute('data-status'))!;
}

export function expectClose(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i]), `entry ${i}: ${value} vs ${expected[i]}`).toBeLessThan(tolerance));
}

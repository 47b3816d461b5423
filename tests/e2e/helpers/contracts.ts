// Widget contracts: one file per widget, tests/e2e/contracts/<widget-id>.ts, exporting `contract`,
// which reads what the widget SHOWS on its embed page at its default state (text, readouts, the
// text-alternative table, aria-valuetext, data attributes) and asserts that it equals what the
// engine (the shipped model in Node, on wasm) or the page-safe maths of src/chapters/ computes for
// the same input. site.test.ts runs each on the embed page its sweep already loaded and drew (320 px,
// dark theme, widget drawn). A widget without a contract file fails its sweep.
//
//   // tests/e2e/contracts/rope-relative.ts
//   export const contract: WidgetContract = async ({ widget, engine }) => {
//     const { model, tokenizer } = await engine();          // loaded once per test file, on first use
//     const shown = Number(await widget.locator('.mw-readout').getAttribute('data-at-zero'));
//     ...; expect(Math.abs(shown - fromEngine)).toBeLessThan(1e-3);
//   };
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { loadModel, useNodeBackend } from '../../../scripts/load-model';
import type { LlamaModel } from '../../../src/llama/model';
import type { Tokenizer } from '../../../src/llama/tokenizer';
import { REPO_ROOT } from './build';
import type { OpenedPage } from './page';

/** The shipped model and tokenizer in Node (wasm backend). */
export interface NodeEngine {
  model: LlamaModel;
  tokenizer: Tokenizer;
}

export interface ContractInput {
  /** The embed page, the widget drawn at its default state. */
  page: Page;
  /** The widget's shell ([data-widget-id="<name>"]). */
  widget: Locator;
  /** The shipped model in Node; loaded on the first call, once per test file. */
  engine: () => Promise<NodeEngine>;
}

/** Throws (a failed expect) when the widget shows something other than what it computes. */
export type WidgetContract = (input: ContractInput) => Promise<void>;

const contractFiles = import.meta.glob<{ contract: WidgetContract }>('../contracts/*.ts');

/** The contract file's path for widget `name`, as the repository names it. */
export const contractPath = (name: string) => `tests/e2e/contracts/${name}.ts`;

/** Widget `name`'s contract, or undefined when tests/e2e/contracts/<name>.ts does not exist. */
export async function contractFor(name: string): Promise<WidgetContract | undefined> {
  const load = contractFiles[`../contracts/${name}.ts`];
  return load ? (await load()).contract : undefined;
}

/** The shipped model in Node, loaded on first use; dispose() frees it (a no-op when never loaded). */
export function lazyNodeEngine(): { get: () => Promise<NodeEngine>; dispose: () => void } {
  let loading: Promise<NodeEngine> | undefined;
  return {
    get: () =>
      (loading ??= (async () => {
        await useNodeBackend('wasm');
        const { model, tokenizer } = loadModel(join(REPO_ROOT, 'public', 'models', 'glass-llama'));
        return { model, tokenizer: tokenizer! };
      })()),
    dispose: () => {
      void loading?.then(({ model }) => model.dispose());
    },
  };
}

/**
 * Runs widget `name`'s contract on its opened embed page. Returns [] when the widget shows what the
 * engine computes, else one line: the missing contract file, or the failed expectation.
 */
export async function widgetContractProblems(opened: OpenedPage, name: string, engine: () => Promise<NodeEngine>): Promise<string[]> {
  const contract = await contractFor(name);
  if (!contract) return [`${contractPath(name)} is missing: every widget needs a contract (see tests/e2e/helpers/contracts.ts)`];
  const widget = opened.page.locator(`[data-widget-id="${name}"]`);
  try {
    await contract({ page: opened.page, widget, engine });
    return [];
  } catch (error) {
    return [`contract ${name}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

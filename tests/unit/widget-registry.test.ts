// The widget registry is generated from components/: these are the names chapters, embeds and
// links already use, so none may change when the list stops being written by hand.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { assertWidgetName, widgetNameOf, widgetNames, widgetRegistry } from '../../src/widgets/registry';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** Every widget in components/: the 17 of the hand-kept registry, then each new chapter's. */
const KNOWN_WIDGETS = [
  'softmax-temperature',
  'attention-heatmap',
  'attention-step',
  'attention-mask',
  'rope-rotation',
  'rope-relative',
  'rope-stretch',
  'padding-batch',
  'logits-position',
  'dropout-runs',
  'dropout-inside',
  'forgotten-eval',
  'activation-explorer',
  'mlp-inside',
  'mlp-unit',
  'next-token-bars',
  'beam-tree',
  'degeneration',
  'kv-grow',
  'kv-prefill',
  'kv-paged',
  'kv-beams',
  'flops-matmul-sweep',
  'flops-model-budget',
  'flops-roofline',
  'flops-training-calculator',
  'tokens-playground',
  'tokens-neighbours',
  'tokens-init-experiment',
  'nbce-generate',
  'nbce-recall',
  'nbce-formula',
  'anatomy-forward',
  'anatomy-lens',
  'anatomy-params',
  'anatomy-knockout',
  'flash-tiles',
  'flash-memory',
  'flash-online-softmax',
  'sparse-mask',
  'sparse-loss',
  'sparse-recall',
  'lora-lab',
  'lora-calculator',
  'lora-update-inspector',
  'dp-ranks',
  'dp-log-reader',
  'dp-memory',
  'train-lr-race',
  'train-before-after',
  'train-loss-mask',
  'rag-bm25',
  'rag-reader',
  'rag-active-learning',
  'assist-best-of-n',
  'assist-base-vs-sft',
  'assist-dpo',
];

describe('widgetRegistry', () => {
  test('widgetNames are the widgets in components/, in alphabetical order', () => {
    expect(widgetNames).toEqual([...KNOWN_WIDGETS].sort());
    expect(Object.keys(widgetRegistry)).toEqual(widgetNames);
  });

  test('widgetNameOf turns a PascalCase file name into the kebab-case widget name', () => {
    expect(widgetNameOf('AttentionHeatmap')).toBe('attention-heatmap');
    expect(widgetNameOf('MlpInside')).toBe('mlp-inside');
    expect(widgetNameOf('Degeneration')).toBe('degeneration');
  });

  test('each registered entry loads the module of its own file, which exports schema and mount', async () => {
    const module = await widgetRegistry['rope-stretch']();
    const direct = await import('../../components/RopeStretch');
    expect(module.schema).toBe(direct.schema);
    expect(module.mount).toBe(direct.mount);
    expect(Object.keys(module.schema)).toEqual(['prompt', 'factor']);
  });

  test('every registered module exports a schema object and a mount function', async () => {
    for (const name of widgetNames) {
      const module = await widgetRegistry[name]();
      expect([name, typeof module.schema, typeof module.mount]).toEqual([name, 'object', 'function']);
    }
  });

  test('assertWidgetName accepts a widget name and rejects a typo with the valid names listed', () => {
    expect(() => assertWidgetName('beam-tree')).not.toThrow();
    expect(() => assertWidgetName('attention-heatmaps')).toThrow(
      `<Widget name="attention-heatmaps">: no such widget. Received "attention-heatmaps". Expected one of: ${[...KNOWN_WIDGETS].sort().join(', ')}.`,
    );
    // Shared parts beside the widgets and inherited object keys are not widgets.
    expect(() => assertWidgetName('model-widget-parts')).toThrow('no such widget');
    expect(() => assertWidgetName('constructor')).toThrow('no such widget');
  });

  test('plain Node (tsx, no Vite) derives the same names from the directory', () => {
    const script = "import { widgetNames } from './src/widgets/registry.ts'; console.log(JSON.stringify(widgetNames));";
    const output = execFileSync(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['--eval', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual([...KNOWN_WIDGETS].sort());
  });
});

describe('widget contracts', () => {
  // site.test.ts runs tests/e2e/contracts/<name>.ts on each embed page; this fails first, in Node,
  // when a new widget has none (or a contract names no widget).
  test('every registered widget has a contract file, and every contract file is a widget', () => {
    const files = readdirSync(join(REPO_ROOT, 'tests', 'e2e', 'contracts'))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.slice(0, -'.ts'.length))
      .sort();
    expect(widgetNames.filter((name) => !files.includes(name)).map((name) => `tests/e2e/contracts/${name}.ts is missing`)).toEqual([]);
    expect(files.filter((file) => !widgetNames.includes(file))).toEqual([]);
  });

  test('each contract file exports a contract function', async () => {
    for (const name of widgetNames) {
      const module = (await import(`../e2e/contracts/${name}.ts`)) as { contract?: unknown };
      expect([name, typeof module.contract]).toEqual([name, 'function']);
    }
  });
});

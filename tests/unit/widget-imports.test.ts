// What a widget (components/*.ts) may import from outside the kit. A widget talks to the model
// through the kit (ctx.model / ctx.runtime) and never runs the engine in the page, so from the
// engine it takes only these page-safe modules: plain TypeScript on arrays, no tfjs, no state.
// Everything else in src/llama/ (the model, weights, kernels, generate, train) runs in the worker.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const COMPONENTS = join(REPO_ROOT, 'components');

/** The engine modules a widget may import (repository paths without .ts). */
const PAGE_SAFE_ENGINE = [
  'src/llama/taps', // tap names: layerTap(2, 'attn.probs')
  'src/llama/sampling', // temperature, top-k/p, min-p, typical, repetition penalty, chooseNextToken
  'src/llama/tokenizer', // the tokenizer, which works without the model
  'src/llama/rng', // the seeded random numbers that dropout and sampling use
  'src/llama/math', // softmax, log-softmax, token loss
  'src/llama/flashAttention', // tiled attention with the online softmax, HBM access counts
  'src/llama/nbce', // NBCE's pooling of next-token distributions (the formula explorer recomputes it as β moves)
];
/** Every chapter module (src/chapters/*) is the chapter's pure arithmetic on plain arrays. */
const CHAPTER_MODULES = readdirSync(join(REPO_ROOT, 'src/chapters'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => `src/chapters/${file.replace(/\.ts$/, '')}`);

interface Import {
  from: string; // the importing file, repository path
  specifier: string; // as written
  target: string; // repository path without extension, or the package name
  typeOnly: boolean;
}

const IMPORT = /^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)';/gms;

/** The imports and re-exports of one source file. */
function importsOf(file: string): Import[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(IMPORT)].map(([, type, specifier]) => ({
    from: relative(REPO_ROOT, file),
    specifier,
    target: specifier.startsWith('.') ? relative(REPO_ROOT, resolve(dirname(file), specifier)).replace(/\.(ts|mjs|js)$/, '') : specifier,
    typeOnly: Boolean(type),
  }));
}

/** The modules `start` loads at run time, itself included (type-only imports load nothing). */
function valueClosure(start: string): Set<string> {
  const seen = new Set<string>();
  const visit = (module: string) => {
    if (seen.has(module)) return;
    seen.add(module);
    const file = join(REPO_ROOT, `${module}.ts`);
    if (!existsSync(file)) return; // a package, a stylesheet or a .mjs file: nothing to follow
    for (const imported of importsOf(file)) if (!imported.typeOnly) visit(imported.target);
  };
  visit(start);
  return seen;
}

const widgetFiles = readdirSync(COMPONENTS)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => join(COMPONENTS, file));

describe('widget imports', () => {
  test('importsOf reads value, type-only and multi-line imports and re-exports', () => {
    const imports = importsOf(join(COMPONENTS, 'PaddingBatch.ts'));
    expect(imports.find((i) => i.target === 'src/chapters/padding')).toMatchObject({ typeOnly: false });
    expect(imports.find((i) => i.target === 'src/runtime/client')).toMatchObject({ typeOnly: true });
    expect(importsOf(join(REPO_ROOT, 'src/chapters/decoding.ts')).map((i) => i.target)).toEqual(
      expect.arrayContaining(['src/llama/sampling', 'src/llama/math', 'src/widgets/pieces']),
    );
  });

  test('components/*.ts import from src/llama/ only the page-safe modules, and from src/runtime/ only types', () => {
    const imports = widgetFiles.flatMap(importsOf);
    const engine = imports.filter((i) => i.target.startsWith('src/llama/'));
    expect(engine.length).toBeGreaterThan(0);
    expect(engine.filter((i) => !PAGE_SAFE_ENGINE.includes(i.target)).map((i) => `${i.from} -> ${i.specifier}`)).toEqual([]);
    const runtime = imports.filter((i) => i.target.startsWith('src/runtime/'));
    expect(runtime.length).toBeGreaterThan(0);
    expect(runtime.filter((i) => !i.typeOnly).map((i) => `${i.from} -> ${i.specifier}`)).toEqual([]);
  });

  test('the page-safe modules and the chapter modules load no tfjs, no runtime and no model code', () => {
    for (const module of [...PAGE_SAFE_ENGINE, ...CHAPTER_MODULES]) {
      const loaded = [...valueClosure(module)];
      const engineLoaded = loaded.filter((m) => m.startsWith('src/llama/'));
      expect({ module, unsafe: loaded.filter((m) => m.startsWith('@tensorflow/') || m.startsWith('src/runtime/')) }).toEqual({ module, unsafe: [] });
      expect({ module, engine: engineLoaded.filter((m) => !PAGE_SAFE_ENGINE.includes(m)) }).toEqual({ module, engine: [] });
    }
  });

  test('widget modules load their CSS as URLs (src/widgets/styles.ts), never with a plain CSS import', () => {
    // Astro inlines every CSS file a page's scripts can reach, dynamic imports included, into the
    // page: a plain import from a widget module puts that CSS into every page's first load.
    const widgetModules = [
      ...readdirSync(COMPONENTS).filter((file) => file.endsWith('.ts')).map((file) => join(COMPONENTS, file)),
      join(REPO_ROOT, 'src/widgets/export.ts'),
      join(REPO_ROOT, 'src/widgets/modelPicker.ts'),
    ];
    const cssImports = widgetModules.flatMap((file) => importsOf(file)).filter((i) => /\.css(\?|$)/.test(i.specifier));
    expect(cssImports.length).toBeGreaterThan(50);
    // The one plain import left: the Export panel's code fields share the Embed button's CSS, which is in every page anyway.
    expect(cssImports.filter((i) => !i.specifier.endsWith('.css?url')).map((i) => `${i.from} -> ${i.specifier}`)).toEqual(['src/widgets/export.ts -> ../embed/embedButton.css']);
    for (const file of widgetModules) {
      const source = readFileSync(file, 'utf8');
      for (const [, name] of source.matchAll(/^import (\w+) from '[^']+\.css\?url';/gm)) {
        expect(source, `${relative(REPO_ROOT, file)} loads ${name}`).toContain(`loadStylesheet(${name});`);
      }
    }
  });

  test('valueClosure follows value imports and skips type-only ones', () => {
    // src/llama/model.ts imports tfjs as a value; src/chapters/attention.ts imports model.ts only as a type.
    expect(valueClosure('src/llama/model').has('@tensorflow/tfjs')).toBe(true);
    expect(valueClosure('src/chapters/attention').has('src/llama/model')).toBe(false);
  });
});

// @ts-check
// Full-text search over the chapters: after `astro build`, Pagefind (https://pagefind.app, a static
// search library written in Rust, run here through its Node API) reads the built chapter pages and
// writes its index and its small browser library to dist/pagefind/. The search page loads them
// from this origin on demand, so search works offline and within the CSP (its WebAssembly needs
// the 'wasm-unsafe-eval' the model already has).
//
// What is indexed: only elements marked data-pagefind-body (a chapter's <main>), without the parts
// marked data-pagefind-ignore (table of contents, slide points, speaker notes, widget chrome).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
// A static import: the config is loaded by Vite's module runner, which is closed by the time
// astro:build:done runs, so a dynamic import() there fails.
import * as pagefind from 'pagefind';

/** @returns {import('astro').AstroIntegration} */
export function searchIndex() {
  return {
    name: 'glass-llama:search-index',
    hooks: {
      'astro:build:done': async ({ dir, logger }) => {
        const site = fileURLToPath(dir);
        // KaTeX writes each formula three times (TeX source, MathML, HTML boxes): index only MathML's.
        const { index, errors } = await pagefind.createIndex({
          forceLanguage: 'en',
          excludeSelectors: ['.katex-html', '.katex-mathml annotation'],
        });
        if (!index) throw new Error(`Pagefind could not start: ${errors.join('; ')}`);
        const added = await index.addDirectory({ path: site });
        if (added.errors.length > 0) throw new Error(`Pagefind could not index ${site}: ${added.errors.join('; ')}`);
        // One fragment file per indexed page: pages without data-pagefind-body are read, not indexed.
        const { files } = await index.getFiles();
        const indexed = files.filter((file) => file.path.startsWith('fragment/')).length;
        if (indexed === 0) throw new Error('Pagefind found no page marked data-pagefind-body to index.');
        const written = await index.writeFiles({ outputPath: join(site, 'pagefind') });
        if (written.errors.length > 0) throw new Error(`Pagefind could not write its index: ${written.errors.join('; ')}`);
        await pagefind.close();
        logger.info(`indexed ${indexed} of ${added.page_count} pages for search (dist/pagefind/)`);
      },
    },
  };
}

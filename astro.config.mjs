// @ts-check
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import remarkMath from 'remark-math';
import rehypeKatex from 'rehype-katex';
import { selfHostAssets } from './src/styles/self-host-assets.mjs';
import { tfjsWasmFiles } from './scripts/copy-tfjs-wasm.mjs';
import { headersFor, readHeaderRules } from './src/hostHeaders.mjs';
import { siteUrl } from './src/siteUrl.mjs';
import { testPages } from './src/pages/test/_testPages.mjs';
import { searchIndex } from './src/search/searchIndex.mjs';
import { serviceWorker } from './src/offline/serviceWorkerBuild.mjs';
import { checkLinks } from './src/links/checkLinks.mjs';
import { rehypeGlossary } from './src/glossary/rehypeGlossary.mjs';
import { GLOSSARY } from './src/glossary/terms';


// Content-Security-Policy, rendered by Astro as a <meta> tag on every page.
// Scripts and styles come from this origin ('self') or carry a sha256 hash that Astro computes
// for every script and stylesheet it bundles or inlines. Everything else is 'self' only.
// - 'wasm-unsafe-eval': lets WebAssembly.compile run (the tfjs wasm backend); it does NOT allow eval().
// - 'unsafe-hashes' on styles: KaTeX and Shiki emit style="..." attributes; each page adds the
//   sha256 of every such attribute value it renders (src/layouts/styleAttributeHashes.ts), so only those exact
//   declarations apply and an injected style attribute is still refused.
// - worker-src 'self': the model runtime's Web Worker is a same-origin module file. blob: lets an
//   embed in a sandboxed iframe (origin "null") start that worker from a blob: URL it made itself
//   (src/embed/sandboxWorker.ts); a blob: URL can only come from script this policy already allows.
// - frame-src 'self': the slides' presenter view shows the deck's current and next slide in frames.
// - img-src blob:: a widget's Export draws its SVG into a canvas through an <img> of a blob: URL
//   the page made itself (src/widgets/export.ts), to make the PNG and show it.
/** @type {Exclude<NonNullable<import('astro').AstroUserConfig['experimental']>['csp'], boolean | undefined>} */
const contentSecurityPolicy = {
  algorithm: /** @type {const} */ ('SHA-256'),
  directives: [
    "default-src 'none'",
    "connect-src 'self'",
    "img-src 'self' blob:",
    "font-src 'self'",
    "worker-src 'self' blob:",
    "frame-src 'self'",
    "manifest-src 'self'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ],
  scriptDirective: { resources: ["'self'", "'wasm-unsafe-eval'"] },
  styleDirective: { resources: ["'self'", "'unsafe-hashes'"] },
};

/**
 * rehype plugin: a display equation or a table wider than a phone scrolls sideways (see global.css),
 * and a scrolling region must be reachable from the keyboard, so each gets tabindex="0" (an
 * equation also a label).
 */
function rehypeFocusableDisplayMath() {
  /** @param {any} node */
  const visit = (node) => {
    const classes = node.properties?.className;
    if (Array.isArray(classes) && classes.includes('katex-display')) {
      node.properties.tabIndex = 0;
      node.properties.role = 'group';
      node.properties.ariaLabel = 'Equation';
    }
    // A prose table scrolls sideways on a phone (global.css): the keyboard must reach it too.
    if (node.tagName === 'table') node.properties.tabIndex = 0;
    for (const child of node.children ?? []) visit(child);
  };
  return visit;
}

export default defineConfig({
  // The public URL of the site (SITE_URL; default http://localhost:4321, where `npm start` serves):
  // the origin in the oEmbed answers and the embed pages' discovery links.
  site: siteUrl(process.env.SITE_URL),
  // `astro dev` and `astro preview` send the headers that public/_headers gives every path
  // (Access-Control-Allow-Origin: *, so sandboxed embeds can load the site's files). The per-path
  // frame headers need scripts/preview.mjs (`npm start`), which applies every rule of the file.
  server: { headers: headersFor(readHeaderRules(new URL('./public/_headers', import.meta.url)), '/*') },
  // GLASS_LLAMA_OUT_DIR lets two builds run side by side (the browser tests read the same variable).
  outDir: process.env.GLASS_LLAMA_OUT_DIR || './dist',
  trailingSlash: 'ignore',
  // tfjsWasmFiles: copies the tfjs .wasm binaries to public/tfjs/ (served from our own origin).
  // testPages: /test/runtime/ and other pages for the tests, only when GLASS_LLAMA_TEST_PAGES=1.
  // searchIndex: the Pagefind search index of the chapters, written to dist/pagefind/ after the build.
  // serviceWorker: writes dist/sw.js (offline reading after a first visit), after the search index.
  // checkLinks: a link between pages of the site that reaches no page, or no #fragment, stops the build.
  integrations: [selfHostAssets(), tfjsWasmFiles(), testPages(), mdx(), checkLinks(), searchIndex(), serviceWorker()],
  markdown: {
    remarkPlugins: [remarkMath],
    // rehypeGlossary: the first use of a glossary term in a chapter links to it (src/glossary).
    rehypePlugins: [rehypeKatex, rehypeFocusableDisplayMath, [rehypeGlossary, { terms: GLOSSARY }]],
    shikiConfig: {
      themes: { light: 'github-light-high-contrast', dark: 'github-dark-high-contrast' },
      defaultColor: false,
    },
  },
  // Every stylesheet is inlined in the page's <head>: a page's first paint then waits for no
  // stylesheet request (on a slow phone network each one cost a round trip or a new connection).
  // Astro lists the sha256 of each inlined <style> in the CSP.
  build: { inlineStylesheets: 'always' },
  image: { service: { entrypoint: 'astro/assets/services/noop' } },
  devToolbar: { enabled: false },
  // The model runtime's Web Worker imports modules (tfjs), so it is bundled as an ES module worker.
  vite: {
    worker: { format: 'es' },
    // The engine imports "@tensorflow/tfjs"; in the site's bundles that name is tfjs-core with
    // gradients and chained ops, without layers, converter, data or eager backends (see the file).
    resolve: { alias: [{ find: /^@tensorflow\/tfjs$/, replacement: fileURLToPath(new URL('./src/runtime/tfjsBrowser.ts', import.meta.url)) }] },
  },
  experimental: { csp: contentSecurityPolicy },
});

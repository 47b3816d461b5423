// @ts-check
// Offline reading: after `astro build`, write dist/sw.js, the site's service worker, with the list
// of files to keep and a version that changes whenever any of them changes.
//
// - Precached when the worker installs (the first visit, in the background): every page, style,
//   script, font and data file of the site, except the test pages and Pagefind's unused UI files.
// - Cached the first time a page asks for them: the three big files the model needs (the worker
//   bundle, the weights, the WebAssembly binaries), so a visit that never runs a widget does not
//   download megabytes it did not use. After one widget has run, the model works offline too.
// - How it updates: each build gives sw.js a new version (a hash of every file listed). The
//   browser checks sw.js on each visit; a changed one installs the new files beside the old,
//   takes over at once (skipWaiting + clients.claim) and deletes the old version's cache. Pages are
//   answered from the network first and from the cache only when the network fails, so an online
//   reader always sees the newest build.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files and folders under dist/ that are never cached. */
const SKIP = [/^test\//, /^_headers$/, /^sw\.js$/, /^pagefind\/pagefind-(modular-)?ui\./, /^pagefind\/pagefind-highlight\.js$/];
/** Files cached on first use instead of at install (big, needed only once a widget runs). */
export const ON_DEMAND = [/^_astro\/worker-[^/]+\.js$/, /^models\/.+\.safetensors$/, /^tfjs\/.+\.wasm$/];

/**
 * Every file under `dir`, as URL paths relative to it ("chapters/03-rope/index.html").
 * @param {string} dir
 * @param {string} [root]
 * @returns {string[]}
 */
function walk(dir, root = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path, root) : [relative(root, path).split(sep).join('/')];
  });
}

/**
 * URL of a file as a page asks for it: "chapters/x/index.html" -> "/chapters/x/".
 * @param {string} file
 */
export function fileUrl(file) {
  return `/${file.replace(/(^|\/)index\.html$/, '$1')}`;
}

/**
 * The service worker's manifest for a built site: the URLs to precache, the URL patterns to cache
 * on first use, and a version derived from every listed file's bytes.
 * @param {string} dist
 */
export function offlineManifest(dist) {
  const files = walk(dist)
    .filter((file) => !SKIP.some((pattern) => pattern.test(file)))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update(readFileSync(join(dist, file)));
  const onDemand = files.filter((file) => ON_DEMAND.some((pattern) => pattern.test(file)));
  const precache = files.filter((file) => !onDemand.includes(file)).map(fileUrl);
  return { version: hash.digest('hex').slice(0, 16), precache, onDemand: onDemand.map(fileUrl) };
}

/** @returns {import('astro').AstroIntegration} */
export function serviceWorker() {
  return {
    name: 'glass-llama:service-worker',
    hooks: {
      'astro:build:done': ({ dir, logger }) => {
        const dist = fileURLToPath(dir);
        const manifest = offlineManifest(dist);
        const template = readFileSync(new URL('./sw.template.js', import.meta.url), 'utf8');
        writeFileSync(join(dist, 'sw.js'), template.replace('self.__OFFLINE_MANIFEST__', JSON.stringify(manifest)));
        logger.info(`sw.js version ${manifest.version}: ${manifest.precache.length} files precached, ${manifest.onDemand.length} on first use`);
      },
    },
  };
}

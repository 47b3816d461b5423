#!/usr/bin/env node
// @ts-check
// `npm start` and `npm run preview`: Astro's preview server for the built site (dist/, or
// GLASS_LLAMA_OUT_DIR), sending every response the headers public/_headers asks a host for:
// Access-Control-Allow-Origin: * everywhere, so an embed in <iframe sandbox="allow-scripts">
// (origin "null") can load its scripts, fonts, wasm and model; and frame-ancestors 'self' /
// X-Frame-Options: SAMEORIGIN on the reading pages and decks, which a <meta> policy cannot set;
// long Cache-Control on the hashed bundles, fonts and KaTeX. Text is compressed with brotli or gzip.
// `astro preview` alone applies one set of headers to every path (server.headers in
// astro.config.mjs: the "/*" rule), so only this server refuses to let other sites frame the
// chapters.
//
//   node scripts/preview.mjs [--host 127.0.0.1] [--port 4321]
import { fileURLToPath } from 'node:url';
import { preview } from 'astro';
import { compressResponse } from '../src/compression.mjs';
import { headersFor, readHeaderRules } from '../src/hostHeaders.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Start the preview server; resolves once it listens. `stop()` closes it.
 * @param {{ host?: string, port?: number, logLevel?: 'info' | 'warn' | 'error' | 'silent' }} [options]
 */
export async function startPreview({ host = 'localhost', port = 4321, logLevel = 'info' } = {}) {
  const rules = readHeaderRules(new URL('public/_headers', `file://${ROOT}`));
  const server = await preview({ root: ROOT, server: { host, port }, logLevel });
  // Astro's static preview returns Vite's http server as `server` (not in its public type). This
  // listener runs before Vite's, so the headers are set before any file is sent.
  const http = /** @type {import('node:http').Server | undefined} */ (/** @type {any} */ (server).server);
  if (!http) {
    await server.stop();
    throw new Error('This version of Astro does not expose its preview http server; scripts/preview.mjs cannot add the _headers headers.');
  }
  // Vite's own listener (its middleware stack) is taken off and called from this one, which first
  // takes over compression (brotli or gzip, with Vary; src/compression.mjs) from Vite's gzip-only
  // one, by hiding Accept-Encoding from it, and sets the _headers headers last, when the head goes
  // out, so they win over the static server's (its Cache-Control: no-cache on every file).
  const viteListeners = http.listeners('request');
  http.removeAllListeners('request');
  http.on('request', (request, response) => {
    const path = new URL(request.url ?? '/', 'http://preview').pathname;
    const headers = headersFor(rules, path);
    compressResponse(request, response, () => {
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    });
    delete request.headers['accept-encoding'];
    for (const listener of viteListeners) listener.call(http, request, response);
  });
  return server;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  /** @param {string} name */
  const argument = (name) => {
    const index = process.argv.indexOf(`--${name}`);
    return index > 0 ? process.argv[index + 1] : undefined;
  };
  const port = argument('port');
  if (port !== undefined && !/^\d{1,5}$/.test(port)) {
    console.error(`--port must be a port number, got "${port}".`);
    process.exit(2);
  }
  await startPreview({ host: argument('host'), port: port === undefined ? undefined : Number(port) });
}

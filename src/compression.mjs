// @ts-check
// Compression for the preview server (scripts/preview.mjs): every text response (HTML, CSS, JS,
// JSON, SVG, wasm) goes out brotli-compressed when the browser accepts "br", else gzip, with
// Content-Encoding and Vary: Accept-Encoding set so caches keep one copy per encoding. A chapter
// page is about 200 KB of HTML (KaTeX markup) and about 30 KB with brotli; on a phone network
// that is most of the time to the first paint. Astro's preview (Vite's) only gzips, and without
// Vary. Production hosts compress on their own (Netlify and Cloudflare Pages both send brotli).
import { constants, createBrotliCompress, createGzip } from 'node:zlib';

/** Content types worth compressing (media and the model weights are already dense). */
const COMPRESSIBLE = /^(text\/|application\/(javascript|json|manifest\+json|xml|wasm)|image\/svg\+xml)/i;
/** Below this a response fits in one packet anyway. */
const MIN_BYTES = 1024;
/**
 * Brotli quality 5: within a few per cent of the best (11) on HTML, CSS and JS at a fraction of
 * its time, which matters because every response is compressed on the fly.
 */
const BROTLI_QUALITY = 5;

/**
 * The encoding to send for an Accept-Encoding header: 'br', 'gzip' or null. A coding listed with
 * q=0 is refused.
 * @param {string | undefined} acceptEncoding
 * @returns {'br' | 'gzip' | null}
 */
export function chooseEncoding(acceptEncoding) {
  const accepted = new Set(
    (acceptEncoding ?? '')
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, ...params]) => !params.some((param) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(param)))
      .map(([coding]) => coding.trim().toLowerCase()),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}

/** Add Accept-Encoding to the response's Vary header (keeping what is there, e.g. Origin). */
function varyOnAcceptEncoding(/** @type {import('node:http').ServerResponse} */ response) {
  const vary = String(response.getHeader('Vary') ?? '');
  if (vary === '*' || /(^|,)\s*accept-encoding\s*(,|$)/i.test(vary)) return;
  response.setHeader('Vary', vary ? `${vary}, Accept-Encoding` : 'Accept-Encoding');
}

/**
 * Make `response` compress its body when it turns out to be compressible text: call before any
 * handler writes to it. The handler sets status and headers as usual (writeHead or setHeader);
 * the choice is made when the head goes out. `afterHead(response)` runs just before that, so a
 * caller can set headers that must win over the handler's (the _headers rules).
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @param {(response: import('node:http').ServerResponse) => void} [afterHead]
 */
export function compressResponse(request, response, afterHead = () => {}) {
  const encoding = chooseEncoding(request.headers['accept-encoding']);
  // The response's own methods, called with whatever arguments the handler passed (any of their overloads).
  /** @type {{ writeHead: Function, write: Function, end: Function }} */
  const original = { writeHead: response.writeHead, write: response.write, end: response.end };
  /** @type {import('node:zlib').Gzip | import('node:zlib').BrotliCompress | null} */
  let compressor = null;
  let headSent = false;

  const sendHead = (/** @type {number} */ status) => {
    headSent = true;
    afterHead(response);
    const type = String(response.getHeader('Content-Type') ?? '');
    const length = Number(response.getHeader('Content-Length') ?? Infinity);
    const compressible = COMPRESSIBLE.test(type) && !response.getHeader('Content-Encoding');
    if (compressible) varyOnAcceptEncoding(response);
    if (compressible && encoding && status === 200 && request.method !== 'HEAD' && length >= MIN_BYTES) {
      response.setHeader('Content-Encoding', encoding);
      response.removeHeader('Content-Length');
      compressor =
        encoding === 'br'
          ? createBrotliCompress({
              params: {
                [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
                ...(Number.isFinite(length) ? { [constants.BROTLI_PARAM_SIZE_HINT]: length } : {}),
              },
            })
          : createGzip();
      compressor.on('data', (chunk) => original.write.call(response, chunk));
      compressor.on('end', () => original.end.call(response));
    }
    original.writeHead.call(response, status);
  };

  // @ts-ignore: the overloads of writeHead (status, [message], [headers]) are all handled here.
  response.writeHead = function (status, message, headers) {
    if (typeof message !== 'string') headers = message;
    if (headers) for (const [name, value] of Object.entries(headers)) if (value !== undefined) response.setHeader(name, value);
    if (typeof message === 'string') response.statusMessage = message;
    response.statusCode = status;
    return response;
  };
  // @ts-ignore: write(chunk, [encoding], [callback])
  response.write = function (/** @type {any} */ chunk, /** @type {any[]} */ ...rest) {
    if (!headSent) sendHead(response.statusCode);
    if (!compressor) return original.write.call(response, chunk, ...rest);
    const encoding = /** @type {BufferEncoding | undefined} */ (rest.find((arg) => typeof arg === 'string'));
    compressor.write(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    return true;
  };
  // @ts-ignore: end([chunk], [encoding], [callback])
  response.end = function (/** @type {any} */ chunk, /** @type {any[]} */ ...rest) {
    if (!headSent) {
      if (chunk !== undefined && typeof chunk !== 'function' && !response.getHeader('Content-Length')) {
        response.setHeader('Content-Length', Buffer.byteLength(chunk));
      }
      sendHead(response.statusCode);
    }
    if (!compressor) return original.end.call(response, chunk, ...rest);
    if (chunk !== undefined && typeof chunk !== 'function') compressor.end(chunk);
    else compressor.end();
    return response;
  };
}

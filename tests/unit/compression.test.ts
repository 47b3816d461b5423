// src/compression.mjs: the preview server's brotli/gzip, checked on a plain Node server whose
// handler answers the way a static file server does (writeHead with headers, then the body).
import { get, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chooseEncoding, compressResponse } from '../../src/compression.mjs';

const PAGE = `<!doctype html><p>${'Attention weights sum to one. '.repeat(200)}</p>`;
const SMALL = 'tiny';
const PNG = Buffer.alloc(4096, 7);

let server: Server;
let origin: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    compressResponse(request, response, (r) => r.setHeader('Cache-Control', 'public, max-age=60'));
    const answer = (status: number, type: string, body: string | Buffer) => {
      response.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache', Vary: 'Origin' });
      if (request.method === 'HEAD') response.end();
      else {
        // In two writes, as a file stream would send it.
        const half = Math.floor(body.length / 2);
        response.write(body.slice(0, half));
        response.end(body.slice(half));
      }
    };
    if (request.url === '/page.html') answer(200, 'text/html; charset=utf-8', PAGE);
    else if (request.url === '/small.txt') answer(200, 'text/plain', SMALL);
    else if (request.url === '/image.png') answer(200, 'image/png', PNG);
    else answer(404, 'text/html', PAGE);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

/** The raw (still encoded) body and the headers of a request. */
function fetchRaw(path: string, acceptEncoding?: string, method = 'GET'): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = get(`${origin}${path}`, { method, headers: acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
  });
}

describe('chooseEncoding', () => {
  test('prefers brotli, then gzip; refuses a coding with q=0; nothing without the header', () => {
    expect(chooseEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(chooseEncoding('gzip;q=1.0, br;q=0')).toBe('gzip');
    expect(chooseEncoding('GZIP')).toBe('gzip');
    expect(chooseEncoding('deflate, identity')).toBeNull();
    expect(chooseEncoding(undefined)).toBeNull();
  });
});

describe('compressResponse', () => {
  test('brotli when accepted: Content-Encoding br, no Content-Length, Vary keeps Origin, the body decodes to the page', async () => {
    const { status, headers, body } = await fetchRaw('/page.html', 'gzip, deflate, br');
    expect(status).toBe(200);
    expect(headers['content-encoding']).toBe('br');
    expect(headers['content-length']).toBeUndefined();
    expect(headers.vary).toBe('Origin, Accept-Encoding');
    expect(body.length).toBeLessThan(PAGE.length / 10);
    expect(brotliDecompressSync(body).toString()).toBe(PAGE);
  });

  test('gzip when only gzip is accepted', async () => {
    const { headers, body } = await fetchRaw('/page.html', 'gzip');
    expect(headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(body).toString()).toBe(PAGE);
  });

  test('the plain page when no coding is accepted, still marked Vary: Accept-Encoding', async () => {
    const { headers, body } = await fetchRaw('/page.html');
    expect(headers['content-encoding']).toBeUndefined();
    expect(headers['content-length']).toBe(String(PAGE.length));
    expect(headers.vary).toBe('Origin, Accept-Encoding');
    expect(body.toString()).toBe(PAGE);
  });

  test('the headers of afterHead win over the handler', async () => {
    expect((await fetchRaw('/page.html', 'br')).headers['cache-control']).toBe('public, max-age=60');
  });

  test('left alone: a body under 1 KB, an image, an error page, a HEAD request', async () => {
    const small = await fetchRaw('/small.txt', 'br');
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body.toString()).toBe(SMALL);
    const image = await fetchRaw('/image.png', 'br');
    expect(image.headers['content-encoding']).toBeUndefined();
    expect(image.headers.vary).toBe('Origin');
    expect(image.body.equals(PNG)).toBe(true);
    const missing = await fetchRaw('/missing', 'br');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-encoding']).toBeUndefined();
    const head = await fetchRaw('/page.html', 'br', 'HEAD');
    expect(head.headers['content-encoding']).toBeUndefined();
    expect(head.headers['content-length']).toBe(String(PAGE.length));
  });
});

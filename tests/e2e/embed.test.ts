// Embeds as another site uses them, served by the real preview server of `npm start`
// (scripts/preview.mjs, started here on a free loopback port): a page on a second loopback port
// (another origin) pastes the iframe code that the "Embed" button gives and the one in the oEmbed
// answer, and uses embed.js's <glass-llama-widget>. A sandboxed frame's origin is "null", so each
// widget starts only if the preview server sends Access-Control-Allow-Origin: * as public/_headers
// asks; nothing in this test adds that header.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPreview } from '../../scripts/preview.mjs';
import { embedHeight } from '../../src/embed/embedHeights';
import { siteUrl } from '../../src/siteUrl.mjs';
import { widgetNames } from '../../src/widgets/registry';
import { DIST_DIR, launchChromium, openPage, problemsOnPage, REPO_ROOT, serveDist, type ServedSite } from './helpers';

const SIMPLE_WIDGET = 'softmax-temperature';
/** The site's public URL that the build put in the oEmbed answers and discovery links. */
const SITE = siteUrl(process.env.SITE_URL);

/** A registered widget that runs the model: its component loads the model (through the kit or the runtime). */
function firstModelWidget(): string {
  for (const name of widgetNames) {
    const file = name.replace(/(?:^|-)([a-z0-9])/g, (_, letter: string) => letter.toUpperCase()); // attention-heatmap -> AttentionHeatmap
    const source = readFileSync(join(REPO_ROOT, 'components', `${file}.ts`), 'utf8');
    if (/\bloadModel\(|\.runtime\(\)|\.model\(/.test(source)) return name;
  }
  throw new Error('No registered widget runs the model (src/widgets/registry.ts).');
}
const MODEL_WIDGET = firstModelWidget();

/** A loopback port that nothing listens on now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

let preview: Awaited<ReturnType<typeof startPreview>>;
let siteOrigin: string;
let host: ServedSite;
let hostDir: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const otherOrigins: string[] = [];
const modelRequests: string[] = [];
/** The iframe code from the Embed button of chapter 1's temperature figure, at T = 0.5. */
let buttonSnippet: string;
/** The iframe code of the model widget's oEmbed answer, pointed at this test's server. */
let oembedSnippet: string;

function hostPage(origin: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Someone else's blog</title></head><body>
<h1>A blog post</h1>
<div id="simple">${buttonSnippet}</div>
<div id="model">${oembedSnippet}</div>
<script>
  window.heights = {};
  addEventListener('message', (event) => {
    for (const frame of document.querySelectorAll('div[id] > iframe')) {
      if (event.source === frame.contentWindow && event.data && event.data.type === 'glass-llama:height') {
        window.heights[frame.parentElement.id] = event.data.height;
        frame.style.height = event.data.height + 'px';
      }
    }
  });
</script>
<script type="module" src="${origin}/embed.js"></script>
<glass-llama-widget id="bad-state" name="${SIMPLE_WIDGET}" state="temperature=100"></glass-llama-widget>
<glass-llama-widget id="bad-name" name="no-such-widget"></glass-llama-widget>
</body></html>`;
}

beforeAll(async () => {
  const port = await freePort();
  preview = await startPreview({ host: '127.0.0.1', port, logLevel: 'error' });
  siteOrigin = `http://127.0.0.1:${port}`;
  browser = await launchChromium({ webgpu: false });

  // The Embed button's code, as a reader copies it from the chapter.
  const chapter = await openPage(browser, siteOrigin, `/chapters/01-how-to-read/?${SIMPLE_WIDGET}.temperature=0.5`);
  await chapter.page.locator(`[data-widget-id="${SIMPLE_WIDGET}"] [data-widget-embed]`).click();
  buttonSnippet = await chapter.page.locator(`[data-widget-id="${SIMPLE_WIDGET}"] .widget__embed-panel textarea`).first().inputValue();
  await chapter.close();
  // The oEmbed answer names the site by its configured public URL (SITE_URL); here the site is
  // this test's server.
  const answer = (await (await fetch(`${siteOrigin}/oembed/${MODEL_WIDGET}.json`)).json()) as { html: string; provider_url: string };
  oembedSnippet = answer.html.replaceAll(new URL(answer.provider_url).origin, siteOrigin);

  hostDir = mkdtempSync(join(tmpdir(), 'glass-llama-host-'));
  writeFileSync(join(hostDir, 'index.html'), hostPage(siteOrigin));
  writeFileSync(join(hostDir, 'blank.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Another site</title></head><body></body></html>');
  host = await serveDist({ root: hostDir });
  context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  context.on('request', (request) => {
    const origin = new URL(request.url()).origin;
    if (request.url().includes('/models/')) modelRequests.push(request.url());
    if (origin !== siteOrigin && origin !== host.url && !/^(data|blob):/.test(request.url())) otherOrigins.push(request.url());
  });
  page = await context.newPage();
  page.on('console', (message) => {
    // The host's own missing favicon is not the embed's business.
    if (message.type() === 'error' && !message.location().url.startsWith(`${host.url}/favicon`)) consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await page.goto(`${host.url}/index.html`);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([preview?.stop(), host?.close()]);
  if (hostDir) rmSync(hostDir, { recursive: true, force: true });
});

function frameOf(selector: string): Promise<Frame> {
  return page.locator(`${selector} > iframe`).elementHandle().then(async (handle) => (await handle!.contentFrame())!);
}

async function settledStatus(frame: Frame): Promise<{ status: string; message: string }> {
  await frame.waitForFunction(() => ['ready', 'note', 'error'].includes(document.querySelector<HTMLElement>('[data-widget]')?.dataset.status ?? ''), null, {
    timeout: 90_000,
  });
  return frame.evaluate(() => ({
    status: document.querySelector<HTMLElement>('[data-widget]')!.dataset.status!,
    message: document.querySelector('[data-widget-status]')!.textContent ?? '',
  }));
}

describe('an embed in a sandboxed iframe on another origin, served by npm start', () => {
  test('the Embed button\'s iframe code starts the widget with its settings, and it reports its height', async () => {
    expect(buttonSnippet).toMatch(new RegExp(`^<iframe src="${siteOrigin}/embed/${SIMPLE_WIDGET}/\\?temperature=0\\.5" [^>]*sandbox="allow-scripts"`));
    const frame = await frameOf('#simple');
    expect(await settledStatus(frame)).toEqual({ status: 'ready', message: '' });
    expect(await frame.evaluate(() => self.origin)).toBe('null'); // really sandboxed: an opaque origin
    expect(await frame.getByRole('slider', { name: 'Temperature T' }).inputValue()).toBe('0.5');
    await page.waitForFunction(() => (window as unknown as { heights: Record<string, number> }).heights.simple > 0);
    const reported = await page.evaluate(() => (window as unknown as { heights: Record<string, number> }).heights.simple);
    const contentHeight = await frame.evaluate(() => Math.ceil(document.querySelector('[data-embed-root]')!.getBoundingClientRect().height));
    expect(reported).toBe(contentHeight);
    expect(reported).toBeGreaterThan(150);
  });

  test(`the oEmbed answer's iframe code starts a widget that loads the model (${MODEL_WIDGET})`, async () => {
    expect(oembedSnippet).toMatch(new RegExp(`^<iframe src="${siteOrigin}/embed/${MODEL_WIDGET}/" [^>]*sandbox="allow-scripts"`));
    await page.locator('#model').scrollIntoViewIfNeeded();
    const frame = await frameOf('#model');
    const settled = await settledStatus(frame);
    expect(settled.status, settled.message).not.toBe('error');
    expect(modelRequests.some((url) => url.endsWith('/models/glass-llama/model.safetensors'))).toBe(true);
    // The widget drew from the model's output: an SVG chart or a table of numbers.
    expect(await frame.locator('[data-widget-stage] svg, [data-widget-stage] table').count()).toBeGreaterThan(0);
    await page.waitForFunction(() => (window as unknown as { heights: Record<string, number> }).heights.model > 0);
  });

  test('a bad state value from the element shows a clear message in the widget', async () => {
    const frameHandle = await page.locator('#bad-state').evaluateHandle((element) => element.shadowRoot!.querySelector('iframe')!);
    const frame = (await frameHandle.asElement()!.contentFrame())!;
    expect(await frameHandle.evaluate((iframe) => iframe.getAttribute('sandbox'))).toBe('allow-scripts');
    expect(await settledStatus(frame)).toEqual({
      status: 'note',
      message: 'The link sets temperature to "100", but it must be a number from 0.1 to 3; showing 1 instead.',
    });
    // The element sized its iframe from the height the embed reported.
    await page.waitForFunction(() => document.querySelector('#bad-state')!.shadowRoot!.querySelector('iframe')!.style.height !== '420px');
  });

  test('an unknown widget name says so instead of showing a blank frame', async () => {
    await expect
      .poll(() => page.locator('#bad-name').evaluate((element) => element.shadowRoot?.textContent ?? ''))
      .toContain(`Glass Llama has no widget named "no-such-widget". Use one of: ${[...widgetNames].join(', ')} (see `);
  });

  test('nothing is loaded from any other origin and nothing is logged as an error', () => {
    expect(otherOrigins).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

describe('the headers of npm start (public/_headers)', () => {
  test('every file may be read from any origin; only the embed pages may be framed by other sites', async () => {
    const headers = async (path: string) => {
      const response = await fetch(`${siteOrigin}${path}`);
      expect(response.status, path).toBe(200);
      return {
        cors: response.headers.get('access-control-allow-origin'),
        policy: response.headers.get('content-security-policy'),
        frameOptions: response.headers.get('x-frame-options'),
      };
    };
    const readable = { cors: '*', policy: null, frameOptions: null };
    const notFrameable = { cors: '*', policy: "frame-ancestors 'self'", frameOptions: 'SAMEORIGIN' };
    expect(await headers('/')).toEqual(notFrameable);
    expect(await headers('/chapters/01-how-to-read/')).toEqual(notFrameable);
    expect(await headers('/slides/01-how-to-read/')).toEqual(notFrameable);
    expect(await headers(`/embed/${MODEL_WIDGET}/`)).toEqual(readable);
    expect(await headers(`/oembed/${MODEL_WIDGET}.json`)).toEqual(readable);
    expect(await headers('/embed.js')).toEqual(readable);
    expect(await headers('/models/glass-llama/model.safetensors')).toEqual(readable);
    expect(await headers('/fonts/inter-latin-wght-normal.woff2')).toEqual(readable);
    expect(await headers('/tfjs/tfjs-backend-wasm.wasm')).toEqual(readable);
    // The built site carries the same file for hosts that read it.
    expect(readFileSync(join(DIST_DIR, '_headers'), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'public', '_headers'), 'utf8'));
  });

  test('another site cannot frame a chapter', async () => {
    const framing = await context.newPage();
    const refused: string[] = [];
    framing.on('console', (message) => refused.push(message.text()));
    await framing.goto(`${host.url}/blank.html`);
    await framing.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.id = 'chapter';
      frame.src = src;
      document.body.append(frame);
    }, `${siteOrigin}/chapters/01-how-to-read/`);
    // Chromium reports the refusal and shows its error page in the frame instead of the chapter.
    await expect.poll(() => refused.find((text) => text.includes("frame-ancestors 'self'") || text.includes('X-Frame-Options')) ?? refused).toMatch(/frame-ancestors 'self'|X-Frame-Options/);
    const frame = (await (await framing.locator('#chapter').elementHandle())!.contentFrame())!;
    expect(frame.url()).toMatch(/^chrome-error:/);
    expect(await frame.locator('.chapter-main').count()).toBe(0);
    await framing.close();
  });
});

test('on a server without the CORS header, an embed says why it cannot start', async () => {
  // dist/ served as a host that ignores public/_headers: the frame's module script is refused.
  const bare = await serveDist();
  const framing = await context.newPage();
  try {
    await framing.goto(`${host.url}/blank.html`);
    await framing.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.id = 'bare';
      frame.setAttribute('sandbox', 'allow-scripts');
      frame.src = src;
      document.body.append(frame);
    }, `${bare.url}/embed/${SIMPLE_WIDGET}/`);
    const frame = (await (await framing.locator('#bare').elementHandle())!.contentFrame())!;
    await frame.waitForFunction(() => document.querySelector<HTMLElement>('[data-widget]')?.dataset.status === 'error');
    expect(await frame.locator('[data-widget-status]').textContent()).toBe(
      `This figure cannot start here: ${bare.url} did not let this embedded frame load its script. ` +
        'The server must send the header Access-Control-Allow-Origin: * (see public/_headers).',
    );
  } finally {
    await framing.close();
    await bare.close();
  }
});

describe('an embed page on its own', () => {
  test('passes the site checks, offers oEmbed discovery and lets any page frame it', async () => {
    const opened = await openPage(browser, siteOrigin, `/embed/${SIMPLE_WIDGET}/`);
    expect(await problemsOnPage(opened)).toEqual([]);
    const oembedHref = await opened.page.locator('link[rel="alternate"][type="application/json+oembed"]').getAttribute('href');
    expect(oembedHref).toBe(`${SITE}/oembed/${SIMPLE_WIDGET}.json`);
    const policy = await opened.page.locator('meta[http-equiv="content-security-policy"]').getAttribute('content');
    expect(policy).not.toContain('frame-ancestors');
    expect(policy).toMatch(/script-src 'self'/);
    expect(policy).toMatch(/worker-src 'self' blob:/);
    await opened.page.locator('header, nav, footer').count().then((count) => expect(count).toBe(0)); // no site chrome
    await opened.close();
  });

  test('every registered widget has an embed page and a valid oEmbed answer', async () => {
    expect(widgetNames.length).toBeGreaterThan(0);
    for (const name of widgetNames) {
      expect(existsSync(join(DIST_DIR, 'embed', name, 'index.html')), `embed page of ${name}`).toBe(true);
      const response = await fetch(`${siteOrigin}/oembed/${name}.json`);
      expect(response.status).toBe(200);
      const answer = (await response.json()) as Record<string, unknown>;
      // The answer names the site by SITE_URL (the tests build with it unset: the default) and
      // gives the measured height (site.test.ts checks it against the embed page).
      expect(answer).toMatchObject({ version: '1.0', type: 'rich', provider_name: 'Glass Llama', provider_url: `${SITE}/`, width: 640, height: embedHeight(name) });
      expect(typeof answer.title).toBe('string');
      expect(answer.html).toMatch(new RegExp(`^<iframe src="${SITE}/embed/${name}/" title="[^"]+" sandbox="allow-scripts"`));
    }
  });
});

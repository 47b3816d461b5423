// Embeds as another site uses them: a page on a second loopback port (another origin) holds
// the widgets' embed pages in <iframe sandbox="allow-scripts"> and through embed.js's
// <glass-llama-widget>. The site's responses carry Access-Control-Allow-Origin: *, as
// public/_headers asks the host to send (a sandboxed frame's origin is "null").
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeTinyModel } from '../../scripts/make-tiny-model';
import { DIST_DIR, launchChromium, openPage, problemsOnPage, REPO_ROOT, serveDist, type ServedSite } from './helpers';

const SIMPLE_WIDGET = 'softmax-temperature';

/** A registered widget that runs the model: its component asks for the runtime (directly or through modelWidgetParts). */
function firstModelWidget(): string | undefined {
  const registry = readFileSync(join(REPO_ROOT, 'src/widgets/registry.ts'), 'utf8');
  for (const [, name, file] of registry.matchAll(/'([a-z0-9-]+)': \(\) => import\('\.\.\/\.\.\/components\/(\w+)'\)/g)) {
    const source = readFileSync(join(REPO_ROOT, 'components', `${file}.ts`), 'utf8');
    if (/runtime\(\)|modelWidgetParts/.test(source)) return name;
  }
  return undefined;
}
const MODEL_WIDGET = firstModelWidget();

let site: ServedSite;
let host: ServedSite;
let hostDir: string;
let modelDir: string | undefined;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const otherOrigins: string[] = [];
const modelRequests: string[] = [];

function hostPage(origin: string): string {
  const frames = [
    `<iframe id="simple" sandbox="allow-scripts" title="simple" src="${origin}/embed/${SIMPLE_WIDGET}/?temperature=0.5"></iframe>`,
    MODEL_WIDGET ? `<iframe id="model" sandbox="allow-scripts" title="model" src="${origin}/embed/${MODEL_WIDGET}/"></iframe>` : '',
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Someone else's blog</title></head><body>
<h1>A blog post</h1>
${frames.join('\n')}
<script>
  window.heights = {};
  addEventListener('message', (event) => {
    for (const frame of document.querySelectorAll('iframe[id]')) {
      if (event.source === frame.contentWindow && event.data && event.data.type === 'glass-llama:height') {
        window.heights[frame.id] = event.data.height;
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
  // Until the notebook's model is in public/models/, a tiny random Llama stands in for it.
  const shipped = existsSync(join(DIST_DIR, 'models/glass-llama/model.safetensors'));
  if (!shipped) {
    modelDir = mkdtempSync(join(tmpdir(), 'glass-llama-embed-model-'));
    writeTinyModel(modelDir, 1);
  }
  site = await serveDist({ mounts: modelDir ? { '/models/glass-llama/': modelDir } : {} });
  hostDir = mkdtempSync(join(tmpdir(), 'glass-llama-host-'));
  writeFileSync(join(hostDir, 'index.html'), hostPage(site.url));
  host = await serveDist({ root: hostDir });
  browser = await launchChromium({ webgpu: false });
  context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  await context.route(`${site.url}/**`, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'access-control-allow-origin': '*' } });
  });
  context.on('request', (request) => {
    const origin = new URL(request.url()).origin;
    if (request.url().includes('/models/')) modelRequests.push(request.url());
    if (origin !== site.url && origin !== host.url && !/^(data|blob):/.test(request.url())) otherOrigins.push(request.url());
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
  await Promise.all([site?.close(), host?.close()]);
  rmSync(hostDir, { recursive: true, force: true });
  if (modelDir) rmSync(modelDir, { recursive: true, force: true });
});

function frameOf(selector: string): Promise<Frame> {
  return page.locator(selector).elementHandle().then(async (handle) => (await handle!.contentFrame())!);
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

describe('an embed in a sandboxed iframe on another origin', () => {
  test('runs with the state from its URL and reports its height to the parent', async () => {
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

  test.skipIf(!MODEL_WIDGET)(`loads the model and runs (${MODEL_WIDGET ?? 'no model widget registered'})`, async () => {
    const frame = await frameOf('#model');
    await page.locator('#model').scrollIntoViewIfNeeded();
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
      .toContain('Glass Llama has no widget named "no-such-widget". Use one of: softmax-temperature');
  });

  test('nothing is loaded from any other origin and nothing is logged as an error', () => {
    expect(otherOrigins).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

describe('an embed page on its own', () => {
  test('passes the site checks, offers oEmbed discovery and lets any page frame it', async () => {
    const opened = await openPage(browser, site.url, `/embed/${SIMPLE_WIDGET}/`);
    expect(await problemsOnPage(opened)).toEqual([]);
    const oembedHref = await opened.page.locator('link[rel="alternate"][type="application/json+oembed"]').getAttribute('href');
    expect(new URL(oembedHref!).pathname).toBe(`/oembed/${SIMPLE_WIDGET}.json`);
    const policy = await opened.page.locator('meta[http-equiv="content-security-policy"]').getAttribute('content');
    expect(policy).not.toContain('frame-ancestors');
    expect(policy).toMatch(/script-src 'self'/);
    expect(policy).toMatch(/worker-src 'self' blob:/);
    await opened.page.locator('header, nav, footer').count().then((count) => expect(count).toBe(0)); // no site chrome
    await opened.close();
  });

  test('every registered widget has an embed page and a valid oEmbed answer', async () => {
    const registry = readFileSync(join(REPO_ROOT, 'src/widgets/registry.ts'), 'utf8');
    const names = [...registry.matchAll(/'([a-z0-9-]+)': \(\) => import/g)].map((match) => match[1]);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(existsSync(join(DIST_DIR, 'embed', name, 'index.html')), `embed page of ${name}`).toBe(true);
      const response = await fetch(`${site.url}/oembed/${name}.json`);
      expect(response.status).toBe(200);
      const answer = (await response.json()) as Record<string, unknown>;
      expect(answer).toMatchObject({ version: '1.0', type: 'rich', provider_name: 'Glass Llama', width: 640, height: 420 });
      expect(typeof answer.title).toBe('string');
      expect(answer.html).toMatch(new RegExp(`^<iframe src="[^"]+/embed/${name}/" title="[^"]+" sandbox="allow-scripts"`));
    }
  });
});

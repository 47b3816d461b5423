// The widget kit against a hostile reader and a broken server: a model that cannot load keeps the
// text alternative, says why and offers Retry; links and prompt boxes full of junk get a message,
// never a page error. Embed pages keep it lean: one widget per page.
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { holdObserversScript, openSite, REPO_ROOT, type Site } from './helpers';
import { widgetRegistry, widgetNames } from '../../src/widgets/registry';
import type { StateSchema } from '../../src/widgets/state';
import type { Page } from 'playwright-core';
import { settled } from './helpers/chapterSite';

const SHIPPED_MODEL = join(REPO_ROOT, 'public/models/glass-llama');
const WIDGET = '[data-widget]';

/** Every string a hostile reader might paste: each must give a message or a drawing, never an error page. */
const HOSTILE_TEXT = [
  '',
  '   ',
  'x'.repeat(100_000),
  '🦙'.repeat(30),
  '猫が好きです。'.repeat(5),
  'مرحبا بالعالم',
  'a\u200Bb\u200Dc\uFEFF',
  'tab\tbell\u0007null\u0000end',
  '<img src=x onerror=alert(1)><script>alert(1)</script>',
];

/** Values for a link's settings, whatever their type. */
const HOSTILE_VALUES = ['', 'NaN', '-1', '1e309', '0x10', ' 3', '9'.repeat(400), '🦙', '<b>x</b>', '\u202Eabc'];

let modelDir: string;
let site: Site;
beforeAll(async () => {
  modelDir = mkdtempSync(join(tmpdir(), 'glass-llama-broken-model-'));
  site = await openSite({ webgpu: false, mounts: { '/models/glass-llama/': modelDir } });
}, 60_000);
afterAll(async () => {
  await site?.close();
  rmSync(modelDir, { recursive: true, force: true });
});

/** The model directory as the server will serve it next: the shipped files with `changes` applied. */
function serveModel(changes: Record<string, string | null>): void {
  for (const file of readdirSync(modelDir)) rmSync(join(modelDir, file), { recursive: true });
  cpSync(SHIPPED_MODEL, modelDir, { recursive: true }); // the model's files and its adapters/ and runs/ folders
  for (const [file, content] of Object.entries(changes)) {
    if (content === null) rmSync(join(modelDir, file));
    else writeFileSync(join(modelDir, file), content);
  }
}

/** Press `key` in `box` and wait for the widget's answer (its status changes from a marker we set). */
async function runAndSettle(page: Page, press: () => Promise<void>): Promise<{ status: string; message: string }> {
  await page.locator(WIDGET).evaluate((root) => ((root as HTMLElement).dataset.status = 'pending'));
  await press();
  await page.waitForFunction((sel) => !['pending', 'loading'].includes(document.querySelector<HTMLElement>(sel)!.dataset.status!), WIDGET, { timeout: 60_000 });
  return settled(page, WIDGET);
}

describe('a model that cannot load', () => {
  test('keeps the text alternative, says what failed, and Retry starts the widget once the model is back', async () => {
    serveModel({ 'config.json': '{ this is not JSON' });
    const opened = await site.openPage('/embed/rope-rotation/?backend=wasm');
    const { page } = opened;
    const { status, message } = await settled(page, WIDGET);
    expect(status).toBe('error');
    expect(message).toMatch(/^The model could not load: ./);
    const fallback = page.locator('.widget__fallback');
    expect(await fallback.isVisible()).toBe(true);
    expect((await fallback.textContent())!.trim().length).toBeGreaterThan(20);
    // No empty figure box: the stage holds nothing while the text alternative stands in.
    expect(await page.locator('[data-widget-stage]').evaluate((stage) => [stage.childElementCount, stage.getBoundingClientRect().height])).toEqual([0, 0]);

    serveModel({});
    expect((await runAndSettle(page, () => page.getByRole('button', { name: 'Retry' }).click())).status).toBe('ready');
    expect(await fallback.isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Retry' }).isVisible()).toBe(false);
    expect(await page.locator('[data-widget-stage] svg').count()).toBeGreaterThan(0);
    expect(opened.pageErrors).toEqual([]);
    await opened.close();
  }, 120_000);

  test('a missing safetensors file gets the same message, not an empty box', async () => {
    serveModel({ 'model.safetensors': null });
    const opened = await site.openPage('/embed/attention-step/?backend=wasm');
    const { status, message } = await settled(opened.page, WIDGET);
    expect(status).toBe('error');
    expect(message).toMatch(/^The model could not load: .*model\.safetensors/);
    expect(await opened.page.locator('.widget__fallback').isVisible()).toBe(true);
    expect(opened.pageErrors).toEqual([]);
    await opened.close();
  }, 120_000);
});

describe('hostile input', () => {
  beforeAll(() => serveModel({}));

  test.each(['attention-step', 'attention-mask', 'rope-rotation', 'next-token-bars'])('%s: every hostile text in the prompt box gets a message or a drawing, no page error', async (name) => {
    const opened = await site.openPage(`/embed/${name}/?backend=wasm`);
    const { page } = opened;
    expect((await settled(page, WIDGET)).status).toBe('ready');
    const box = page.getByLabel('Prompt', { exact: true });
    const maxLength = Number(await box.getAttribute('maxlength'));
    expect(maxLength).toBeGreaterThan(0);
    for (const text of HOSTILE_TEXT) {
      // Set the value as a script would (past maxlength), then run it as the reader does.
      await box.evaluate((input, value) => ((input as HTMLInputElement).value = value), text);
      const { status, message } = await runAndSettle(page, () => box.press('Enter'));
      if (text.length > maxLength) {
        expect(message).toBe(`The prompt is ${text.length} characters long; this figure takes at most ${maxLength}. Shorten it.`);
      } else if (text.trim() === '') {
        expect(status, JSON.stringify(text)).toMatch(/^(note|error)$/);
        expect(message).toBe('The prompt is empty: type a few words.');
      } else {
        expect(status, `${JSON.stringify(text)}: ${message}`).toMatch(/^(ready|note)$/);
      }
      // Markup is text, never elements.
      expect(await page.locator('[data-widget-stage] script, [data-widget-stage] img').count()).toBe(0);
    }
    // The reader's typed prompt is kept in the link only while it is short enough.
    expect(page.url().length).toBeLessThanOrEqual(2000);
    expect(opened.pageErrors).toEqual([]);
    await opened.close();
  }, 240_000);

  test('hostile link values for a number, a whole number and a list: a note naming each, no page error', async () => {
    // Five pages cover the ten values: temperature (a number) gets the first half, topK (a whole
    // number) the second; added (a list of token ids) is " , ", which is no list at all.
    for (let k = 0; k < HOSTILE_VALUES.length / 2; k++) {
      const search = new URLSearchParams({ temperature: HOSTILE_VALUES[k], topK: HOSTILE_VALUES[HOSTILE_VALUES.length - 1 - k], added: ' , ', backend: 'wasm' });
      const opened = await site.openPage(`/embed/next-token-bars/?${search}`);
      const { status, message } = await settled(opened.page, WIDGET);
      expect(status, message).toBe('note');
      expect(message).toContain(`The link sets temperature to "${HOSTILE_VALUES[k]}", but it must be a number from 0 to 2; showing 1 instead.`);
      expect(message).toContain(`The link sets topK to "${HOSTILE_VALUES[HOSTILE_VALUES.length - 1 - k].slice(0, 40)}`);
      expect(message).toContain('The link\'s added tokens " , " are not token ids of this model');
      expect(opened.pageErrors).toEqual([]);
      await opened.close();
    }
  }, 300_000);

  test('a chapter page keeps its link under 2,000 characters: a long text stays out of it, and the status says so', async () => {
    const opened = await site.openPage('/chapters/03-rope/?backend=wasm');
    const { page } = opened;
    const stretch = '[data-widget-id="rope-stretch"]';
    await page.locator(stretch).scrollIntoViewIfNeeded();
    await page.waitForFunction((sel) => ['ready', 'note'].includes(document.querySelector<HTMLElement>(sel)!.dataset.status!), stretch, { timeout: 120_000 });
    const text = Array.from({ length: 700 }, (_, i) => `w${i}`).join(' ');
    await page.locator(stretch).getByLabel('A long text (Ctrl+Enter runs it)', { exact: true }).fill(text);
    await page.locator(stretch).getByRole('button', { name: 'Run' }).click();
    await expect.poll(async () => (await page.locator(`${stretch} [data-widget-link-note]`).textContent())?.trim()).toBe(
      `The prompt is too long for a link (${text.length} characters), so the page's link keeps the chapter's prompt.`,
    );
    expect(page.url().length).toBeLessThanOrEqual(2000);
    expect(new URL(page.url()).searchParams.has('rope-stretch.prompt')).toBe(false);
    expect(opened.pageErrors).toEqual([]);
    await opened.close();
  }, 180_000);

  test('every widget with a text setting: hostile text stays text, its other settings get notes, no page error', async () => {
    // tests/unit/widget-link-values.test.ts refuses hostile values for every non-text setting of
    // every widget in Node (the kit's resolver); what only a page shows is how a widget draws the
    // text a link gives it. /test/widgets/ (a test-only page) holds every widget once, under its own
    // name as on a chapter page, so a few loads cover them all: each widget with a text setting gets
    // markup, emoji, CJK, zero-width and control characters in its text settings (within their
    // length) and one refused value in each of its other settings (the note in its status line).
    const notANumber = ['', 'NaN', '1e400', '0x10', ' 3', '🦙', '<b>x</b>', '\u202Eabc'];
    const hostileText = '<img src=x onerror=alert(1)>🦙猫\u200B\u0007مرحبا';
    const withText: { name: string; params: [string, string][]; expected: string[] }[] = [];
    for (const name of widgetNames) {
      const schema = ((await widgetRegistry[name]()) as { schema: StateSchema }).schema;
      if (!Object.values(schema).some((declared) => declared.kind === 'text')) continue;
      const params: [string, string][] = [];
      const expected: string[] = [];
      Object.entries(schema).forEach(([setting, declared], i) => {
        if (declared.kind === 'text') {
          params.push([`${name}.${setting}`, hostileText.slice(0, declared.maxLength)]);
        } else {
          const value = notANumber[i % notANumber.length];
          params.push([`${name}.${setting}`, value]);
          expected.push(`The link sets ${setting} to "${value}"`);
        }
      });
      withText.push({ name, params, expected });
    }
    expect(withText.length).toBeGreaterThanOrEqual(30);
    // Links of at most about 6,000 characters (a server may refuse a longer request line).
    const loads: (typeof withText)[] = [[]];
    const linkLength = (group: typeof withText) => new URLSearchParams(group.flatMap((entry) => entry.params)).toString().length;
    for (const entry of withText) {
      if (loads.at(-1)!.length > 0 && linkLength([...loads.at(-1)!, entry]) > 6000) loads.push([]);
      loads.at(-1)!.push(entry);
    }
    const check = async (group: typeof withText) => {
      const search = new URLSearchParams([['backend', 'wasm'], ...group.flatMap((entry) => entry.params)]);
      // The page opens with its IntersectionObservers held (no widget starts), drops every figure
      // this load does not test, and lets the rest start.
      const opened = await site.openPage(`/test/widgets/?${search}`, { initScript: holdObserversScript });
      const { page } = opened;
      await page.evaluate((names) => {
        for (const figure of document.querySelectorAll<HTMLElement>('[data-widget]')) if (!names.includes(figure.dataset.widgetId!)) figure.remove();
        (window as unknown as { __glassLlamaReleaseObservers: () => void }).__glassLlamaReleaseObservers();
      }, group.map((entry) => entry.name));
      expect(await page.locator('[data-widget]').count()).toBe(group.length);
      // Start the widgets one after another (each until it has left "idle").
      for (const { name } of group) {
        const shell = page.locator(`[data-widget-id="${name}"]`);
        await shell.scrollIntoViewIfNeeded();
        await page.waitForFunction((sel) => document.querySelector<HTMLElement>(sel)!.dataset.status !== 'idle', `[data-widget-id="${name}"]`, { timeout: 120_000 });
      }
      for (const { name, expected } of group) {
        const selector = `[data-widget-id="${name}"]`;
        const { status, message } = await settled(page, selector);
        // A figure whose only settings are texts (assist-base-vs-sft) has nothing to refuse: it runs
        // on the text, its markup shown as text; every other figure says what it refused.
        expect(status, `${name}: ${message}`).toMatch(expected.length > 0 ? /^(note|error)$/ : /^(ready|note|error)$/);
        for (const part of expected) expect(message, name).toContain(part);
        expect(await page.locator(`${selector} [data-widget-stage] img, ${selector} [data-widget-stage] b`).count(), name).toBe(0);
      }
      expect(opened.pageErrors).toEqual([]);
      await opened.close();
    };
    expect(loads.length).toBeLessThanOrEqual(4);
    await Promise.all(loads.map(check));
  }, 400_000);

  test('an unknown ?backend= is ignored with a note; the widget runs', async () => {
    const opened = await site.openPage('/embed/rope-rotation/?backend=cuda&layr=2');
    const { status, message } = await settled(opened.page, WIDGET);
    expect(status).toBe('note');
    expect(message).toBe('The link sets "layr", which is not a setting of this figure (prompt, layer, head, position, base).');
    expect(await opened.page.locator('[data-widget-backend]').textContent()).toMatch(
      /^The link asks for the backend "cuda", which does not exist \(webgpu, webgl, wasm, cpu\); the page chose for itself\./,
    );
    expect(opened.pageErrors).toEqual([]);
    await opened.close();
  }, 120_000);
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { widgetTags } from '../../src/embed/catalog';
import { withoutWidgetLoader } from '../../src/embed/detach';
import { bootstrapSource } from '../../src/embed/sandboxWorker';
import {
  currentState,
  elementSnippet,
  embedUrl,
  iframeSnippet,
  oembedResponse,
  prefixedSearch,
  widgetTitle,
} from '../../src/embed/snippets';
import { stateSearch, unknownSettings } from '../../src/embed/liveWidget';

const ORIGIN = 'https://glass-llama.example';

describe('embed snippets', () => {
  test('embedUrl puts bare setting names in the query', () => {
    expect(embedUrl(ORIGIN, 'softmax-temperature', { temperature: 0.5 })).toBe(
      'https://glass-llama.example/embed/softmax-temperature/?temperature=0.5',
    );
    expect(embedUrl(ORIGIN, 'softmax-temperature')).toBe('https://glass-llama.example/embed/softmax-temperature/');
  });

  test('iframeSnippet is sandboxed to scripts only and escapes the state', () => {
    const snippet = iframeSnippet({ origin: ORIGIN, name: 'attention-heatmap', state: { prompt: 'say "hi" & <go>' }, height: 512.4 });
    expect(snippet).toBe(
      '<iframe src="https://glass-llama.example/embed/attention-heatmap/?prompt=say+%22hi%22+%26+%3Cgo%3E" ' +
        'title="Attention heatmap" sandbox="allow-scripts" loading="lazy" width="100%" height="512" ' +
        'style="border:0;max-width:100%"></iframe>',
    );
  });

  test('elementSnippet loads embed.js from the site and passes the state as a query string', () => {
    expect(elementSnippet({ origin: ORIGIN, name: 'softmax-temperature', state: { temperature: 2 } })).toBe(
      '<script type="module" src="https://glass-llama.example/embed.js"></script>\n' +
        '<glass-llama-widget name="softmax-temperature" state="temperature=2"></glass-llama-widget>',
    );
  });

  test('oembedResponse is an oEmbed 1.0 rich answer whose html is the iframe', () => {
    const answer = oembedResponse({ origin: ORIGIN, name: 'softmax-temperature', title: 'Temperature' });
    expect(answer).toMatchObject({ version: '1.0', type: 'rich', title: 'Temperature', width: 640, height: 420 });
    expect(answer.html).toContain('src="https://glass-llama.example/embed/softmax-temperature/"');
  });

  test('oembedResponse gives the measured height, in the answer and on its iframe', () => {
    const answer = oembedResponse({ origin: ORIGIN, name: 'softmax-temperature', height: 311.6 });
    expect(answer).toMatchObject({ width: 640, height: 312 });
    expect(answer.html).toContain(' height="312" ');
  });

  test('widgetTitle reads the name as words', () => {
    expect(widgetTitle('rope-rotation')).toBe('Rope rotation');
  });

  test('prefixedSearch gives bare names the widget id, leaving prefixed ones alone', () => {
    const search = prefixedSearch(new URLSearchParams('temperature=0.5&softmax-temperature.x=1'), 'softmax-temperature');
    expect(search.toString()).toBe('softmax-temperature.temperature=0.5&softmax-temperature.x=1');
  });

  test('currentState overrides the chapter state with the page URL, ignoring other widgets', () => {
    const search = new URLSearchParams('t.temperature=0.5&other.temperature=3');
    expect(currentState({ temperature: 1, label: 'x' }, 't', search)).toEqual({ temperature: '0.5', label: 'x' });
  });

  test('stateSearch and unknownSettings', () => {
    expect(stateSearch('w', { layer: 2, on: true }).toString()).toBe('w.layer=2&w.on=true');
    expect(unknownSettings(new URLSearchParams('w.layer=1&w.colour=red&v.colour=1'), 'w', ['layer'])).toEqual(['colour']);
  });
});

describe('withoutWidgetLoader', () => {
  test('removes the built and the dev loader script, nothing else', () => {
    const html =
      '<p>a</p><script type="module" src="/_astro/Widget.astro_astro_type_script_index_0_lang.DgmQpCVN.js"></script>' +
      '<script type="module" src="/components/Widget.astro?astro&type=script&index=0&lang.ts"></script>' +
      '<script type="module" src="/_astro/other.js"></script>';
    expect(withoutWidgetLoader(html)).toBe('<p>a</p><script type="module" src="/_astro/other.js"></script>');
  });
});

describe('sandbox worker bootstrap', () => {
  test('imports the module, shadows location and replays early messages', () => {
    const source = bootstrapSource('https://glass-llama.example/_astro/worker.js');
    expect(source).toContain('import("https://glass-llama.example/_astro/worker.js")');
    expect(source).toContain(`Object.defineProperty(self, 'location', { value: new URL("https://glass-llama.example/_astro/worker.js")`);
    expect(() => new Function(source)).not.toThrow(); // a classic script, not a module
  });
});

describe('widgetTags', () => {
  test('finds each <Widget> with its title and text alternative', () => {
    const dir = mkdtempSync(join(tmpdir(), 'glass-llama-catalog-'));
    writeFileSync(
      join(dir, '02-x.mdx'),
      '# X\n<Widget\n  name="rope-rotation"\n  title="Rotation"\n  size="small"\n>\n  Two *arrows* turn.\n</Widget>\n',
    );
    expect(widgetTags(dir)).toEqual([{ chapterId: '02-x', name: 'rope-rotation', title: 'Rotation', text: 'Two *arrows* turn.' }]);
  });
});

describe('README "Embed it"', () => {
  test('shows exactly the snippets the Embed button and embed.js produce', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const origin = 'https://glass-llama.example.org';
    const state = { temperature: 0.5 };
    expect(readme).toContain(
      iframeSnippet({ origin, name: 'softmax-temperature', state, title: 'Temperature reshapes the next-token distribution' }),
    );
    expect(readme).toContain(elementSnippet({ origin, name: 'softmax-temperature', state }));
  });
});

// The pure parts of a widget's Export (src/widgets/export.ts): the permalink and the state file.
// The SVG and PNG are made from a drawn figure in the browser (tests/e2e/course.test.ts).
import { describe, expect, test } from 'vitest';
import { changedSettings, permalink, stateJson } from '../../src/widgets/export';
import { integer, number, text } from '../../src/widgets/state';

const schema = { temperature: number(0.1, 3, 1), layer: integer(0, 7, 0), prompt: text(200, 'Once upon a time') };

describe('changedSettings', () => {
  test('keeps only what differs from the defaults', () => {
    expect(changedSettings({ temperature: 0.5, layer: 0, prompt: 'Once upon a time' }, { temperature: 1, layer: 0, prompt: 'Once upon a time' })).toEqual({ temperature: 0.5 });
  });
});

describe('permalink', () => {
  test('on a chapter page: the page URL with the widget’s settings that differ from the chapter’s, no fragment, other parameters kept', () => {
    const link = permalink({
      href: 'http://localhost:4321/chapters/01-how-to-read/?other.layer=2&softmax-temperature.temperature=2#exercise-x',
      name: 'softmax-temperature',
      id: 'softmax-temperature',
      schema,
      state: { temperature: 0.5, layer: 3, prompt: 'Hello there' },
      defaults: { temperature: 1, layer: 3, prompt: 'Once upon a time' },
      inPageUrl: true,
    });
    expect(link).toBe('http://localhost:4321/chapters/01-how-to-read/?other.layer=2&softmax-temperature.temperature=0.5&softmax-temperature.prompt=Hello+there');
  });
  test('a setting back at the chapter’s default leaves the link', () => {
    const link = permalink({
      href: 'http://localhost:4321/chapters/01-how-to-read/?t.temperature=2',
      name: 'softmax-temperature',
      id: 't',
      schema,
      state: { temperature: 1, layer: 0, prompt: 'Once upon a time' },
      defaults: { temperature: 1, layer: 0, prompt: 'Once upon a time' },
      inPageUrl: true,
    });
    expect(link).toBe('http://localhost:4321/chapters/01-how-to-read/');
  });
  test('elsewhere (embed, slide, exercise): the embed page with the settings that differ from the schema’s defaults', () => {
    const link = permalink({
      href: 'http://localhost:4321/slides/01-how-to-read/?x=1#/3',
      name: 'softmax-temperature',
      id: 'ex-hotter-moon',
      schema,
      state: { temperature: 3, layer: 0, prompt: 'Once upon a time' },
      defaults: { temperature: 3, layer: 0, prompt: 'Once upon a time' },
      inPageUrl: false,
    });
    expect(link).toBe('http://localhost:4321/embed/softmax-temperature/?temperature=3');
  });
});

describe('stateJson', () => {
  test('names the widget, every setting and the permalink, as indented JSON', () => {
    const json = stateJson('softmax-temperature', { temperature: 0.5 }, 'http://localhost:4321/embed/softmax-temperature/?temperature=0.5');
    expect(JSON.parse(json)).toEqual({ widget: 'softmax-temperature', state: { temperature: 0.5 }, permalink: 'http://localhost:4321/embed/softmax-temperature/?temperature=0.5' });
    expect(json).toBe('{\n  "widget": "softmax-temperature",\n  "state": {\n    "temperature": 0.5\n  },\n  "permalink": "http://localhost:4321/embed/softmax-temperature/?temperature=0.5"\n}\n');
  });
});

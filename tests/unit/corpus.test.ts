import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { generateSet } from '../../scripts/corpus';
import { Dice } from '../../scripts/corpus/dice';
import { CORPUS_SETS, SPLITS } from '../../scripts/corpus/splits';
import { PLOT_NAMES, writeStory } from '../../scripts/corpus/stories';
import { BOY_NAMES, GIRL_NAMES } from '../../scripts/corpus/words';

const manifest = JSON.parse(readFileSync('data/manifest.json', 'utf8'));

describe('writeStory', () => {
  test('the same seed writes the same story, another seed a different one', () => {
    expect(writeStory(new Dice(7)).text).toBe(writeStory(new Dice(7)).text);
    expect(writeStory(new Dice(7)).text).not.toBe(writeStory(new Dice(8)).text);
  });

  test('every character is named at least twice, so the second mention can be copied', () => {
    const dice = new Dice(3);
    for (let i = 0; i < 500; i++) {
      const story = writeStory(dice);
      expect(story.names).toHaveLength(2);
      expect(story.names[0]).not.toBe(story.names[1]);
      for (const name of story.names) {
        expect(story.text.match(new RegExp(`\\b${name}\\b`, 'g'))!.length).toBeGreaterThanOrEqual(2);
      }
    }
  });

  test('stories use every plot shape, dialogue in quotes and cause and effect', () => {
    const dice = new Dice(5);
    const stories = Array.from({ length: 300 }, () => writeStory(dice));
    expect(new Set(stories.map((s) => s.plot))).toEqual(new Set(PLOT_NAMES));
    expect(stories.filter((s) => /"[A-Z][^"]*[.!?,]"/.test(s.text)).length).toBeGreaterThan(290);
    expect(stories.filter((s) => /\b(because|so)\b/.test(s.text)).length).toBeGreaterThan(150);
  });
});

describe('name pool', () => {
  test('has 150+ distinct names, none of them an ordinary word of the stories', () => {
    const names = [...GIRL_NAMES, ...BOY_NAMES];
    expect(names.length).toBeGreaterThanOrEqual(150);
    expect(new Set(names).size).toBe(names.length);
    const dice = new Dice(11);
    const lowercaseWords = new Set<string>();
    for (let i = 0; i < 300; i++) for (const word of writeStory(dice).text.match(/\b[a-z]+\b/g)!) lowercaseWords.add(word);
    expect(names.filter((name) => lowercaseWords.has(name.toLowerCase()))).toEqual([]);
  });
});

describe('generateSet', () => {
  test('regenerates exactly the files recorded in data/manifest.json (SHA-256 per split)', () => {
    for (const set of CORPUS_SETS) {
      const examples = generateSet(set, { seed: manifest.seed, stories: manifest.stories });
      for (const split of SPLITS) {
        const content = examples[split].map((example) => JSON.stringify(example) + '\n').join('');
        expect(createHash('sha256').update(content).digest('hex'), `${set}/${split}`).toBe(manifest.sets[set][split].sha256);
      }
    }
  });

  test('splits by whole example: about 4% validation, 4% test, and no text in two splits', () => {
    const stories = generateSet('stories');
    const total = SPLITS.reduce((sum, split) => sum + stories[split].length, 0);
    expect(total).toBe(50000);
    expect(stories.validation.length / total).toBeCloseTo(0.04, 2);
    expect(stories.test.length / total).toBeCloseTo(0.04, 2);
    const trainTexts = new Set(stories.train.map((e) => e.text));
    const heldOut = [...stories.validation, ...stories.test].map((e) => e.text as string);
    expect(heldOut.filter((text) => trainTexts.has(text))).toEqual([]);
    for (const example of heldOut) expect(example.startsWith('Once upon a time') || example.startsWith('There once was')).toBe(true);
  });

  test('chat pairs are "[INST] ... [/INST]" prompts followed by a response that starts with a space', () => {
    const chat = generateSet('chat');
    for (const pair of chat.train.slice(0, 200) as { text: string; prompt: string; response: string }[]) {
      expect(pair.prompt).toMatch(/^\[INST\] .+ \[\/INST\]$/s);
      expect(pair.response).toMatch(/^ \S/);
      expect(pair.text).toBe(pair.prompt + pair.response);
    }
  });

  test('the Chinese set is Chinese stories whose characters recur', () => {
    const chinese = generateSet('chinese').validation as { text: string; names: string[] }[];
    expect(chinese.length).toBeGreaterThan(100);
    for (const story of chinese) {
      expect(story.text.startsWith('从前，有一个')).toBe(true);
      for (const name of story.names) expect(story.text.split(name).length - 1).toBeGreaterThanOrEqual(2);
    }
  });
});

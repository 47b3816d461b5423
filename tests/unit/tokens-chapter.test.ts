import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  CHINESE_HELD_OUT,
  CHINESE_SET,
  CHINESE_TRAIN,
  INIT_EXPERIMENT,
  OTHER_ENGLISH,
  byteIdsOf,
  encodeWithNewPieces,
  findPiece,
  initExperimentData,
  projectRow,
  sampleRows,
  nearestByCosine,
  newChinesePieces,
  pieceGroup,
  principalPlane,
  tokenView,
  tokensPerCharacter,
} from '../../src/chapters/tokens';
import { parseConfig } from '../../src/llama/config';
import { LLAMA2_7B_CONFIG, vocabularyShare } from '../../src/llama/vocabExtend';
import { fullLlamaTokenizerJSON } from '../../src/llama/llama2Vocabulary';
import { Tokenizer } from '../../src/llama/tokenizer';
import { EMBED_TOKENS } from '../../src/llama/weights';
import { playgroundNote } from '../../components/TokensPlayground';
import { PER_GROUP } from '../../components/TokensNeighbours';
import { useBackend } from './helpers/backends';
import { SHIPPED_MODEL_DIR, loadChapterModel } from './helpers/chapter-model';

const ours = Tokenizer.fromJSON(JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, 'tokenizer.json'), 'utf8')));
const full = new Tokenizer(fullLlamaTokenizerJSON());
const pieces = (tokenizer: Tokenizer, text: string) => tokenView(tokenizer, text).map((token) => token.piece);

describe('the two vocabularies', () => {
  test('ours keeps 1,735 of Llama-2\'s 32,000 pieces (5.4%), 89 of its 700 CJK characters', () => {
    expect(ours.vocabSize).toBe(1735);
    expect(full.vocabSize).toBe(32000);
    expect(((100 * ours.vocabSize) / full.vocabSize).toFixed(1)).toBe('5.4');
    const cjk = (tokenizer: Tokenizer) => tokenizer.pieces.filter((piece) => /[\u4e00-\u9fff]/.test(piece)).length;
    expect(cjk(ours)).toBe(89);
    expect(cjk(full)).toBe(700);
  });

  test('story text: the same pieces under both', () => {
    const text = 'Once upon a time, there was a girl named Lily.';
    expect(pieces(ours, text)).toEqual(['▁Once', '▁upon', '▁a', '▁time', ',', '▁there', '▁was', '▁a', '▁girl', '▁named', '▁L', 'ily', '.']);
    expect(pieces(full, text)).toEqual(pieces(ours, text));
  });

  test('"Hello world": 5 pieces in ours, 2 in Llama-2', () => {
    expect(pieces(ours, 'Hello world')).toEqual(['▁H', 'ello', '▁w', 'or', 'ld']);
    expect(pieces(full, 'Hello world')).toEqual(['▁Hello', '▁world']);
  });

  test('a character outside the vocabulary is its three UTF-8 bytes: 猫 = E7 8C AB', () => {
    expect(pieces(ours, '小猫')).toEqual(['▁', '小', '<0xE7>', '<0x8C>', '<0xAB>']);
    expect(tokenView(ours, '小猫').map((token) => token.kind)).toEqual(['piece', 'piece', 'byte', 'byte', 'byte']);
    // 喜 is one Llama-2 piece but not one of ours
    expect(pieces(ours, '喜').slice(1)).toEqual(['<0xE5>', '<0x96>', '<0x9C>']);
    expect(pieces(full, '喜')).toEqual(['▁', '喜']);
  });

  test('emoji and control characters are bytes; every text round-trips', () => {
    expect(pieces(ours, '🦙')).toEqual(['▁', '<0xF0>', '<0x9F>', '<0xA6>', '<0x99>']);
    expect(pieces(ours, 'a\u0007b')).toEqual(['▁a', '<0x07>', 'b']);
    for (const text of ['a\u0007b', '🦙 llama', '小猫喜欢吃鱼。', 'tab\there\nnew line', 'def f(x):\n    return x*2', '\u2581literal']) {
      expect(ours.decode(ours.encode(text))).toBe(text);
      expect(full.decode(full.encode(text))).toBe(text);
    }
  });

  test('tokens per character: equal on our stories, 2.38 against 1.98 on the Chinese set', () => {
    const stories = JSON.parse(readFileSync('public/data/validation-sample.json', 'utf8')).texts as string[];
    expect(tokensPerCharacter(ours, stories)).toBe(tokensPerCharacter(full, stories));
    expect(tokensPerCharacter(ours, stories)).toBeCloseTo(0.278, 3);
    expect(tokensPerCharacter(ours, CHINESE_SET)).toBeCloseTo(2.381, 3);
    expect(tokensPerCharacter(full, CHINESE_SET)).toBeCloseTo(1.978, 3);
  });

  test('the playground refuses empty and too long text, and names control characters', () => {
    expect(playgroundNote('')).toEqual({ kind: 'error', message: 'Type some text: an empty text has no tokens.' });
    expect(playgroundNote('x'.repeat(301))?.message).toBe('The text is 301 characters long; this figure takes at most 300. Shorten it.');
    expect(playgroundNote('a\u0007\u0001b')?.kind).toBe('note');
    expect(playgroundNote('a\u0007\u0001b')?.message).toContain('2 control characters');
    expect(playgroundNote('小猫 🦙')).toBeNull();
  });
});

describe('vocabularyShare', () => {
  test('our model: 2 x 1735 x 128 = 444,160 of 1,182,592 parameters (37.6%)', () => {
    const config = parseConfig(JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, 'config.json'), 'utf8')));
    const share = vocabularyShare(config);
    expect(share.parameters).toBe(1_182_592);
    expect(share.embedding).toBe(222_080);
    expect(share.output).toBe(222_080);
    expect((100 * share.share).toFixed(1)).toBe('37.6');
  });

  test('Llama-2-7B: 2 x 32000 x 4096 = 262,144,000 of 6,738,415,616 (3.9%)', () => {
    const share = vocabularyShare(LLAMA2_7B_CONFIG);
    expect(share.parameters).toBe(6_738_415_616);
    expect(share.embedding + share.output).toBe(262_144_000);
    expect((100 * share.share).toFixed(1)).toBe('3.9');
  });

  test('tying the output to the embedding removes one vocab x hidden matrix', () => {
    const tied = vocabularyShare({ ...LLAMA2_7B_CONFIG, tie_word_embeddings: true });
    expect(tied.output).toBe(0);
    expect(tied.parameters).toBe(6_738_415_616 - 131_072_000);
  });
});

describe('embedding geometry', () => {
  test('nearestByCosine on a hand table', () => {
    // rows: (1,0), (1,1), (0,1), (-1,0)
    const table = Float32Array.from([1, 0, 1, 1, 0, 1, -1, 0]);
    const near = nearestByCosine(table, 2, 0, 3);
    expect(near.map((n) => n.id)).toEqual([1, 2, 3]);
    expect(near[0].cosine).toBeCloseTo(Math.SQRT1_2, 6);
    expect(near[1].cosine).toBeCloseTo(0, 6);
    expect(near[2].cosine).toBeCloseTo(-1, 6);
    expect(() => nearestByCosine(table, 2, 4, 1)).toThrow('id must be in [0, 4). Received 4.');
  });

  test('principalPlane finds the axes of a stretched cloud', () => {
    // Points (3t, t', 0) for t in {-1, 1}, t' in {-1, 1}, plus the centre: variance 36/5 along x,
    // 4/5 along y, 0 along z.
    const points = [
      [3, 1, 0],
      [3, -1, 0],
      [-3, 1, 0],
      [-3, -1, 0],
      [0, 0, 0],
    ];
    const { points: projected, explained } = principalPlane(Float32Array.from(points.flat()), 3, [0, 1, 2, 3, 4]);
    expect(explained[0]).toBeCloseTo(0.9, 6);
    expect(explained[1]).toBeCloseTo(0.1, 6);
    expect(Math.abs(projected[0][0])).toBeCloseTo(3, 6);
    expect(Math.abs(projected[0][1])).toBeCloseTo(1, 6);
  });

  test('pieceGroup', () => {
    expect(pieceGroup('<0xE7>')).toBe('byte');
    expect(pieceGroup('<s>')).toBeUndefined();
    expect(pieceGroup('小')).toBe('chinese');
    expect(pieceGroup('.')).toBe('punctuation');
    expect(pieceGroup('▁Tom')).toBe('capitalised');
    expect(pieceGroup('▁happy')).toBe('word');
    expect(pieceGroup('▁wanted')).toBe('verb');
    expect(pieceGroup('▁was')).toBe('verb');
    expect(pieceGroup('▁play')).toBe('word'); // as often a noun: left with the words
    expect(pieceGroup('wanted')).toBe('word'); // not a whole word without the leading-space marker
    expect(pieceGroup('ily')).toBe('word');
    expect(pieceGroup('▁1')).toBeUndefined();
  });
});

describe('the shipped embedding', () => {
  let backendBefore = '';
  let table: Float32Array;
  beforeAll(async () => {
    backendBefore = tf.getBackend();
    await useBackend('cpu');
    const { model } = loadChapterModel();
    table = Float32Array.from(model.params.get(EMBED_TOKENS)!.dataSync() as Float32Array);
    model.dispose();
  });
  afterAll(async () => {
    if (backendBefore) await tf.setBackend(backendBefore);
  });
  const idOf = (piece: string) => ours.pieces.indexOf(piece);
  const neighbours = (piece: string, count: number) => nearestByCosine(table, 128, idOf(piece), count).map((n) => ours.pieces[n.id]);

  test('colours sit together: the 5 nearest of ▁red include ▁blue, ▁orange and ▁green', () => {
    expect(neighbours('▁red', 6)).toEqual(expect.arrayContaining(['▁blue', '▁orange', '▁green']));
  });

  test('▁happy is nearest to ▁small, ▁kind and ▁little', () => {
    expect(neighbours('▁happy', 3).sort()).toEqual(['▁kind', '▁little', '▁small']);
  });

  test('rows the stories never used stayed small: Chinese and byte rows have mean norm 0.16, words 0.53', () => {
    const meanNorm = (...groups: string[]) => {
      const ids = ours.pieces.map((_, id) => id).filter((id) => groups.includes(pieceGroup(ours.pieces[id]) ?? ''));
      const norms = ids.map((id) => Math.hypot(...table.subarray(id * 128, (id + 1) * 128)));
      return norms.reduce((a, b) => a + b, 0) / norms.length;
    };
    expect(meanNorm('chinese')).toBeCloseTo(0.16, 2);
    expect(meanNorm('byte')).toBeCloseTo(0.16, 2);
    expect(meanNorm('word', 'verb')).toBeCloseTo(0.53, 2); // lower-case word pieces, verbs among them
  });

  test('in the picture, byte and Chinese rows sit closer to the centre than word rows', () => {
    const sample = sampleRows(ours.pieces, PER_GROUP);
    const plane = principalPlane(table, 128, sample);
    const spread = (group: string) => {
      const ids = sample.filter((id) => pieceGroup(ours.pieces[id]) === group);
      return ids.reduce((sum, id) => sum + Math.hypot(...projectRow(table, 128, id, plane)), 0) / ids.length;
    };
    expect(spread('byte')).toBeLessThan(spread('word') / 2);
    expect(spread('chinese')).toBeLessThan(spread('word') / 2);
  });
});

describe('the Chinese set and its new pieces', () => {
  test('16 sentences, 12 to train and 4 held out', () => {
    expect(CHINESE_SET.length).toBe(16);
    expect(CHINESE_TRAIN.length).toBe(12);
    expect(CHINESE_HELD_OUT).toEqual(['妈妈在厨房做饭。', '我们今天去学校。', '今天我们吃鱼和米饭。', '妈妈喜欢喝茶，爸爸喜欢喝牛奶。']);
  });

  test('41 of its characters are byte-spelled in our vocabulary; the most frequent are 喜 and 欢', () => {
    const all = newChinesePieces(ours, CHINESE_SET, 100);
    expect(all.length).toBe(41);
    expect(all.slice(0, 2)).toEqual(['喜', '欢']);
    // 小 is one of our pieces, so never new
    expect(all).not.toContain('小');
  });

  test('encodeWithNewPieces replaces the byte run of a new piece by its id', () => {
    const firstNew = ours.vocabSize;
    expect(byteIdsOf(ours, '猫').map((id) => ours.pieces[id])).toEqual(['<0xE7>', '<0x8C>', '<0xAB>']);
    const ids = encodeWithNewPieces(ours, '小猫吃鱼', ['吃', '猫'], firstNew, { bos: false });
    expect(ids.slice(0, 2).map((id) => ours.pieces[id])).toEqual(['▁', '小']);
    expect(ids.slice(2, 4)).toEqual([firstNew + 1, firstNew]);
    // 鱼 was not added: still three bytes
    expect(ids.slice(4).map((id) => ours.pieces[id])).toEqual(['<0xE9>', '<0xB1>', '<0xBC>']);
  });

  test('with all 41 pieces the set takes 155 tokens instead of 331', () => {
    const added = newChinesePieces(ours, CHINESE_SET, 41);
    const count = (encode: (text: string) => number[]) => CHINESE_SET.reduce((sum, text) => sum + encode(text).length, 0);
    expect(count((text) => ours.encode(text, { bos: false }))).toBe(331);
    expect(count((text) => encodeWithNewPieces(ours, text, added, ours.vocabSize, { bos: false }))).toBe(155);
  });
});

describe('numbers the prose states', () => {
  test('other English: 0.454 tokens per character in ours, 0.193 in Llama-2 (2.35 times as many)', () => {
    expect(tokensPerCharacter(ours, OTHER_ENGLISH)).toBeCloseTo(0.454, 3);
    expect(tokensPerCharacter(full, OTHER_ENGLISH)).toBeCloseTo(0.193, 3);
    expect((tokensPerCharacter(ours, OTHER_ENGLISH) / tokensPerCharacter(full, OTHER_ENGLISH)).toFixed(2)).toBe('2.35');
  });

  test('all 32,000 pieces at d = 128 would be eleven times the rest of our model', () => {
    const rest = 1_182_592 - 444_160;
    expect(Math.round((2 * 32000 * 128) / rest)).toBe(11);
  });

  test('with 20 new pieces the 12 training sentences take 164 tokens instead of 260', () => {
    const data = initExperimentData(ours, 20);
    expect(data.pieces.length).toBe(20);
    expect(data.train.reduce((sum, example) => sum + example.ids.length, 0)).toBe(164);
    expect(CHINESE_TRAIN.reduce((sum, text) => sum + ours.encode(text).length + 1, 0)).toBe(260);
    expect(newChinesePieces(ours, CHINESE_TRAIN, 100).length).toBe(INIT_EXPERIMENT.maxPieces);
    expect(() => initExperimentData(ours, 36)).toThrow('pieceCount must be a whole number in [1, 35]. Received 36.');
  });

  test('the picture shows 471 pieces', () => {
    expect(sampleRows(ours.pieces, PER_GROUP).length).toBe(471);
  });

  test('findPiece reads words, pieces and the visible space mark', () => {
    expect(ours.pieces[findPiece(ours.pieces, 'red')!]).toBe('▁red');
    expect(ours.pieces[findPiece(ours.pieces, '␣red')!]).toBe('▁red');
    expect(ours.pieces[findPiece(ours.pieces, 'ily')!]).toBe('ily');
    expect(ours.pieces[findPiece(ours.pieces, '<0x41>')!]).toBe('<0x41>');
    expect(findPiece(ours.pieces, 'xylophone')).toBeUndefined();
  });
});

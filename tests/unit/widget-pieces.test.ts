// src/widgets/pieces.ts: one label for token pieces in every widget.
import { expect, test } from 'vitest';
import { pieceLabel } from '../../src/widgets/pieces';
import { displayPiece } from '../../src/chapters/decoding';

test.each([
  ['\u2581the', '␣the'],
  ['\u2581\u2581', '␣␣'],
  ['<0x0A>', '↵'],
  ['<0x41>', 'A'],
  ['<0xE7>', '<0xE7>'],
  ['<s>', '<s>'],
  ['cat', 'cat'],
])('pieceLabel(%j) is %j', (piece, label) => {
  expect(pieceLabel(piece)).toBe(label);
});

test('the decoding chapter labels pieces with the same function', () => {
  expect(displayPiece).toBe(pieceLabel);
});

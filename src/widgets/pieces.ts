// How a tokenizer piece reads in every widget: one space marker, one newline marker. Page-safe
// (no model, no DOM), so widgets, charts and chapter modules can all import it.

/** The visible space: U+2423 OPEN BOX, the usual mark for a space (a middle dot reads as q·k). */
export const SPACE_MARK = '␣';
/** The newline byte piece <0x0A>. */
export const NEWLINE_MARK = '↵';

/**
 * A tokenizer piece as a figure shows it: "▁the" → "␣the", "<0x0A>" → "↵", a printable byte piece
 * ("<0x41>") as its character; other byte pieces (parts of a multi-byte character) stay as hex.
 */
export function pieceLabel(piece: string): string {
  if (piece === '<0x0A>') return NEWLINE_MARK;
  const byte = /^<0x([0-9A-F]{2})>$/.exec(piece);
  if (byte) {
    const code = parseInt(byte[1], 16);
    return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : piece;
  }
  return piece.replaceAll('\u2581', SPACE_MARK);
}

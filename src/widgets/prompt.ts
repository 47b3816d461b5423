// What every prompt box in the kit does to the reader's text before the model sees it: drop the
// control characters a paste can bring, and say in words why a prompt cannot be run (empty, or
// longer than the model's context). Counting tokens is components/promptTokens.ts's job (it needs
// the model's tokenizer); this module is plain strings, so the kit's boxes and every widget share it.
import { kitStrings } from './strings';

/** What a prompt box says is wrong with the text, or null when the model can read it. */
export function promptProblem(text: string, tokenCount: number, context: number): string | null {
  if (text.trim() === '') return kitStrings.promptEmpty;
  if (tokenCount > context) return kitStrings.promptTooLong(tokenCount, context);
  return null;
}

/** Control characters other than tab and newline are dropped from typed prompts. */
export function cleanPrompt(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '');
}

// The kit's sentences come from one module (src/widgets/strings.ts); these are the words the
// browser tests and readers already know, so moving them must not change a character.
import { describe, expect, test } from 'vitest';
import { kitStrings } from '../../src/widgets/strings';
import { promptLengthProblem } from '../../components/modelWidgetParts';

describe('kitStrings', () => {
  test('textTooLong words a prompt box refusal as promptLengthProblem shows it', () => {
    expect(promptLengthProblem('x'.repeat(201), 200)).toBe('The prompt is 201 characters long; this figure takes at most 200. Shorten it.');
    expect(promptLengthProblem('x'.repeat(200), 200)).toBeNull();
    expect(kitStrings.textTooLong('prompts', 900, 400)).toBe('The prompts is 900 characters long; this figure takes at most 400. Shorten it.');
  });

  test('model and link sentences', () => {
    expect(kitStrings.modelCouldNotLoad('HTTP 404')).toBe('The model could not load: HTTP 404');
    expect(kitStrings.couldNotStart('boom')).toBe('This figure could not start: boom');
    expect(kitStrings.promptTooLongForNewTokens(250, 20, 256)).toBe(
      "The prompt is 250 tokens long; with 20 new tokens that is more than the model's context of 256 tokens. Shorten the prompt or ask for fewer tokens.",
    );
    expect(kitStrings.tooLongForLink('prompt', 3000)).toBe("The prompt is too long for a link (3000 characters), so the page's link keeps the chapter's prompt.");
    expect(kitStrings.linkLayerOutOfRange(9, 4)).toBe('The link asks for layer 9, but the model has layers 0 to 3; showing layer 0.');
    expect(kitStrings.linkHeadOutOfRange(7, 4)).toBe('The link asks for head 7, but each layer has heads 0 to 3; showing head 0.');
  });
});

// Text to tokens under two vocabularies: ours (Llama-2's pieces pruned to what our corpora use)
// and the whole Llama-2 vocabulary. Every token is a chip: its piece, its id, and whether it is a
// byte-fallback token. The whole vocabulary (llama-tokenizer-js, about 0.7 MB of JavaScript that
// fetches nothing) is imported only when this figure starts.
import tokensPlaygroundCss from './TokensPlayground.css?url';
import { tokenView, type TokenView } from '../src/chapters/tokens';
import { Tokenizer } from '../src/llama/tokenizer';
import { pieceLabel } from '../src/widgets/pieces';
import { text, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { debounced, element, loadModel, reportFailure } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(tokensPlaygroundCss);

/** Longest text the figure tokenizes (characters). */
export const PLAYGROUND_MAX_LENGTH = 300;

export const schema = {
  /** The text to tokenize. */
  text: text(PLAYGROUND_MAX_LENGTH, 'Once upon a time, a little cat 小猫 saw a 🦙.'),
};

type State = StateOf<typeof schema>;

/** C0 controls and DEL (newline and tab are ordinary text here). */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

/** What the figure says about the text before tokenizing it, or null when there is nothing to say. */
export function playgroundNote(value: string): { kind: 'error' | 'note'; message: string } | null {
  if (value.length === 0) return { kind: 'error', message: 'Type some text: an empty text has no tokens.' };
  if (value.length > PLAYGROUND_MAX_LENGTH) {
    return { kind: 'error', message: `The text is ${value.length} characters long; this figure takes at most ${PLAYGROUND_MAX_LENGTH}. Shorten it.` };
  }
  const controls = value.match(CONTROL)?.length ?? 0;
  if (controls > 0) {
    return { kind: 'note', message: `The text has ${controls} control character${controls === 1 ? '' : 's'}; no piece holds one, so each is a byte token (<0x07> is the bell).` };
  }
  return null;
}

function chips(tokens: readonly TokenView[]): HTMLOListElement {
  const list = element('ol', 'tok-chips');
  for (const token of tokens) {
    const item = element('li', `tok-chip tok-chip--${token.kind}`);
    item.append(element('span', 'tok-chip__piece', pieceLabel(token.piece)), element('span', 'tok-chip__id', String(token.id)));
    item.title = `${token.piece} (id ${token.id}${token.kind === 'byte' ? ', a byte-fallback token' : ''})`;
    list.append(item);
  }
  return list;
}

function summary(tokens: readonly TokenView[], characters: number): string {
  const bytes = tokens.filter((token) => token.kind === 'byte').length;
  return `${tokens.length} tokens for ${characters} characters (${(tokens.length / characters).toFixed(2)} per character), ${bytes} of them byte tokens`;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const box = element('div', 'mw-prompt');
  const field = element('label', 'mw-prompt__label');
  const input = element('textarea');
  input.rows = 2;
  input.maxLength = PLAYGROUND_MAX_LENGTH;
  input.spellcheck = false;
  input.value = ctx.state.text;
  field.append('Text (any language, emoji, code)', input);
  box.append(field);
  const ours = element('section', 'tok-row');
  const full = element('section', 'tok-row');
  ours.setAttribute('aria-live', 'polite');
  el.append(box, ours, full);

  let oursTokenizer: Tokenizer;
  let fullTokenizer: Tokenizer;
  try {
    ctx.status('loading', 'Loading the two vocabularies…');
    const [{ runtime }, fullModule] = await Promise.all([loadModel(ctx), import('../src/llama/llama2Vocabulary')]);
    oursTokenizer = await pageTokenizer(runtime);
    fullTokenizer = new Tokenizer(fullModule.fullLlamaTokenizerJSON());
  } catch (error) {
    reportFailure(ctx, error, 'The tokenizers could not load');
    return;
  }

  const draw = () => {
    const value = input.value;
    const note = playgroundNote(value);
    if (note?.kind === 'error') {
      ctx.status('error', note.message);
      ours.replaceChildren();
      full.replaceChildren();
      return;
    }
    ctx.setState({ text: value });
    const characters = [...value].length;
    for (const [section, tokenizer, name] of [
      [ours, oursTokenizer, `Our vocabulary (${oursTokenizer.vocabSize.toLocaleString('en')} pieces)`],
      [full, fullTokenizer, `Llama-2's vocabulary (${fullTokenizer.vocabSize.toLocaleString('en')} pieces)`],
    ] as const) {
      const tokens = tokenView(tokenizer, value);
      const heading = element('h4', 'tok-row__title', name);
      const line = element('p', 'tok-row__count', summary(tokens, characters));
      section.replaceChildren(heading, line, chips(tokens));
    }
    ctx.status(note ? 'note' : 'ready', note?.message);
  };
  const redraw = debounced(draw, ctx.signal);
  input.addEventListener('input', () => redraw(150), { signal: ctx.signal });
  draw();
}

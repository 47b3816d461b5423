// Pieces the sparse attention chapter's widgets share: the pattern settings as URL state, the
// pattern picker with only the settings the chosen pattern reads, and the validation stories.
import sparseWidgetsCss from './sparseWidgets.css?url';
import { checkSettings, PATTERN_NAMES, type PatternSettings, type SparsePattern } from '../src/chapters/sparseAttention';
import { choice, integer } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { controlId, element } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(sparseWidgetsCss);

/** The settings every pattern widget keeps in its URL (see PatternSettings). */
export function patternSchema<P extends SparsePattern>(patterns: readonly P[], defaults: Partial<PatternSettings> & { pattern: P }) {
  return {
    pattern: choice(patterns, defaults.pattern),
    window: integer(1, 256, defaults.window ?? 8),
    stride: integer(1, 256, defaults.stride ?? 8),
    summary: integer(1, 256, defaults.summary ?? 1),
    global: integer(0, 256, defaults.global ?? 1),
    random: integer(0, 256, defaults.random ?? 2),
    seed: integer(0, 999_999, defaults.seed ?? 1),
  };
}

type PatternState = Omit<PatternSettings, 'pattern'> & { pattern: string };

/** Which settings each pattern reads, in the order the picker shows them. */
const FIELDS: Record<SparsePattern, (keyof Omit<PatternSettings, 'pattern'>)[]> = {
  full: [],
  window: ['window'],
  strided: ['stride'],
  fixed: ['stride', 'summary'],
  longformer: ['window', 'global'],
  bigbird: ['window', 'global', 'random', 'seed'],
};

const FIELD_LABELS: Record<keyof Omit<PatternSettings, 'pattern'>, string> = {
  window: 'Window w',
  stride: 'Stride l',
  summary: 'Summary keys c',
  global: 'Global tokens g',
  random: 'Random keys r',
  seed: 'Seed',
};

/** The label of a setting as the picker shows it; fixed calls its stride the block length. */
function fieldLabel(pattern: SparsePattern, field: keyof Omit<PatternSettings, 'pattern'>): string {
  return pattern === 'fixed' && field === 'stride' ? 'Block length l' : FIELD_LABELS[field];
}

export interface PatternPicker {
  element: HTMLFieldSetElement;
  /** Shows the fields of the current pattern with the state's values. */
  sync(): void;
}

/**
 * A pattern select and a number box per setting (only the current pattern's are shown). A value
 * out of range, or a summary longer than the block, is refused with a message in the status line
 * and the box goes back to the value in use; a good one is stored and onChange runs.
 */
export function patternPicker<State extends PatternState>(ctx: WidgetContext<State>, patterns: readonly SparsePattern[], onChange: () => void): PatternPicker {
  const fieldset = element('fieldset', 'sp-picker');
  fieldset.append(element('legend', undefined, 'Attention pattern'));
  const selectId = controlId('sp-pattern');
  const selectLabel = element('label', 'sp-field');
  selectLabel.htmlFor = selectId;
  selectLabel.append('Pattern');
  const select = element('select');
  select.id = selectId;
  for (const pattern of patterns) select.append(new Option(PATTERN_NAMES[pattern], pattern));
  selectLabel.append(select);
  fieldset.append(selectLabel);
  const inputs = new Map<keyof Omit<PatternSettings, 'pattern'>, { label: HTMLLabelElement; caption: Text; input: HTMLInputElement }>();
  for (const field of Object.keys(FIELD_LABELS) as (keyof Omit<PatternSettings, 'pattern'>)[]) {
    const label = element('label', 'sp-field');
    const caption = document.createTextNode(FIELD_LABELS[field]);
    const input = element('input');
    input.type = 'number';
    input.min = field === 'global' || field === 'random' || field === 'seed' ? '0' : '1';
    input.max = field === 'seed' ? '999999' : '256';
    input.step = '1';
    label.append(caption, input);
    fieldset.append(label);
    inputs.set(field, { label, caption, input });
    input.addEventListener('change', () => {
      const value = Number(input.value);
      const [min, max] = [Number(input.min), Number(input.max)];
      const name = fieldLabel(ctx.state.pattern as SparsePattern, field);
      if (input.value.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
        ctx.status('note', `${name} must be a whole number from ${min} to ${max}; keeping ${ctx.state[field]}.`);
        input.value = String(ctx.state[field]);
        return;
      }
      const next = { ...settingsOfState(ctx.state), [field]: value };
      try {
        checkSettings(next);
      } catch (error) {
        ctx.status('note', `${(error as Error).message} Keeping ${ctx.state[field]}.`);
        input.value = String(ctx.state[field]);
        return;
      }
      ctx.setState({ [field]: value } as Partial<State>);
      onChange();
    }, { signal: ctx.signal });
  }
  select.addEventListener('change', () => {
    // fixed reads the summary length, which other patterns leave unchecked: keep it inside the block
    const summary = select.value === 'fixed' ? Math.min(ctx.state.summary, ctx.state.stride) : ctx.state.summary;
    ctx.setState({ pattern: select.value, summary } as Partial<State>);
    sync();
    onChange();
  }, { signal: ctx.signal });

  function sync(): void {
    const pattern = ctx.state.pattern as SparsePattern;
    select.value = pattern;
    for (const [field, { label, caption, input }] of inputs) {
      label.hidden = !FIELDS[pattern].includes(field);
      caption.textContent = fieldLabel(pattern, field);
      input.value = String(ctx.state[field]);
    }
  }
  sync();
  return { element: fieldset, sync };
}

/** The pattern settings in a widget's state. */
export function settingsOfState(state: PatternState): PatternSettings {
  const { pattern, window, stride, summary, global, random, seed } = state;
  return { pattern: pattern as SparsePattern, window, stride, summary, global, random, seed };
}

/**
 * A link may set a summary longer than the block (each is in range on its own): the summary is cut
 * to the block length, with a note (whatever the pattern, so a later switch to fixed finds it in
 * range). Returns the notes.
 */
export function checkLinkedPattern<State extends PatternState>(ctx: WidgetContext<State>): string[] {
  if (ctx.state.summary > ctx.state.stride) {
    const note = `The link sets summary to ${ctx.state.summary}, longer than the block (${ctx.state.stride}); using ${ctx.state.stride}.`;
    ctx.setState({ summary: ctx.state.stride } as Partial<State>);
    return [note];
  }
  return [];
}

/** The settings in words: "sliding window, w = 8". */
export function describeSettings(s: PatternSettings): string {
  const parts: Record<SparsePattern, string> = {
    full: '',
    window: `w = ${s.window}`,
    strided: `l = ${s.stride}`,
    fixed: `l = ${s.stride}, c = ${s.summary}`,
    longformer: `w = ${s.window}, g = ${s.global}`,
    bigbird: `w = ${s.window}, g = ${s.global}, r = ${s.random}, seed ${s.seed}`,
  };
  return parts[s.pattern] ? `${PATTERN_NAMES[s.pattern]}, ${parts[s.pattern]}` : PATTERN_NAMES[s.pattern];
}

/** Written by scripts/make-validation-sample.ts: stories from the validation split. */
const SAMPLE_URL = `${import.meta.env.BASE_URL}data/validation-sample.json`;
let sample: Promise<string[]> | null = null;

/** The validation stories, fetched once per page. */
export function validationStories(): Promise<string[]> {
  sample ??= fetch(SAMPLE_URL).then(async (response) => {
    if (!response.ok) throw new Error(`Could not load ${SAMPLE_URL}: HTTP ${response.status}`);
    return ((await response.json()) as { texts: string[] }).texts;
  });
  sample.catch(() => (sample = null));
  return sample;
}

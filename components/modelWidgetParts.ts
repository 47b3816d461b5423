// Pieces the model widgets share: loading the model with a status line, a prompt box, a labelled
// select, radio buttons, a debounced re-run, tables (visible or visually hidden). Plain DOM,
// native controls (keyboard for free).
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { cleanPrompt } from '../src/widgets/prompt';
import { pieceLabel } from '../src/widgets/pieces';
import { kitStrings } from '../src/widgets/strings';
import type { ForwardResult, ModelSummary, RuntimeClient } from '../src/runtime/client';
import type { WidgetContext } from '../src/widgets/types';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);

export interface LoadedRuntime {
  runtime: RuntimeClient;
  model: ModelSummary;
}

/**
 * The notebook's model, through the kit (ctx.model): the status line says "Loading the model…",
 * the backend note gets its own line, and a model that cannot load is shown with a Retry button.
 */
export function loadModel(ctx: WidgetContext<any>): Promise<LoadedRuntime> {
  return ctx.model();
}

/**
 * Checks a link's layer and head against the model: one out of range falls back to 0 and gets a
 * note for the status line. Returns the notes.
 */
export function checkLinkedLayerHead(ctx: WidgetContext<{ layer: number; head: number }>, layers: number, heads: number): string[] {
  const notes: string[] = [];
  if (ctx.state.layer >= layers) {
    notes.push(kitStrings.linkLayerOutOfRange(ctx.state.layer, layers));
    ctx.setState({ layer: 0 });
  }
  if (ctx.state.head >= heads) {
    notes.push(kitStrings.linkHeadOutOfRange(ctx.state.head, heads));
    ctx.setState({ head: 0 });
  }
  return notes;
}

/** The status after a successful run: the pending notes (then emptied), or ready. */
export function reportRun(ctx: WidgetContext<any>, notes: string[]): void {
  ctx.status(notes.length ? 'note' : 'ready', notes.join(' '));
  notes.length = 0;
}

/** The status when the model failed: what failed, and the engine's message. */
export function reportFailure(ctx: WidgetContext<any>, error: unknown, what: string = kitStrings.modelCouldNotRun): void {
  ctx.status('error', `${what}: ${error instanceof Error ? error.message : String(error)}`);
}

/** Token labels of a forward's first row ("<s>", "␣Once", "↵"). */
export function tokenLabels(result: ForwardResult): string[] {
  const pieces = result.pieces?.[0] ?? result.inputIds[0].map(String);
  return pieces.map(pieceLabel);
}

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * The prompt box of every widget that reads typed text: a box with a Run button (Enter runs; in a
 * multi-line box Ctrl/Cmd+Enter). The box has the setting's maxlength, so typing stops there; a
 * longer text (set by a script, or a maxlength the browser did not apply) is refused with a
 * message in the status line and onRun is not called, so the widget's setState never sees it.
 * onRun gets the text with control characters dropped. Empty prompts and prompts longer than the
 * context are the widget's to report (promptIds in ./promptTokens), after it has tokenized them.
 */
export function promptForm(
  ctx: WidgetContext<any>,
  { maxLength, label = kitStrings.promptLabel, multiline = false, initial = ctx.state.prompt as string }: { maxLength: number; label?: string; multiline?: boolean; initial?: string },
  onRun: (text: string) => void,
): { form: HTMLFormElement; input: HTMLInputElement | HTMLTextAreaElement } {
  const signal = ctx.signal;
  const form = element('form', 'mw-prompt');
  const field = element('label', 'mw-prompt__label');
  const input = multiline ? element('textarea') : element('input');
  if (input instanceof HTMLTextAreaElement) input.rows = 4;
  else input.type = 'text';
  input.value = initial;
  input.maxLength = maxLength;
  input.spellcheck = false;
  field.append(label, input);
  const button = element('button', 'mw-button', kitStrings.run);
  button.type = 'submit';
  form.append(field, button);
  form.addEventListener(
    'submit',
    (event) => {
      event.preventDefault();
      const text = cleanPrompt(input.value);
      const problem = promptLengthProblem(text, maxLength);
      if (problem) ctx.status('note', problem);
      else onRun(text);
    },
    { signal },
  );
  if (multiline) {
    // Ctrl/Cmd+Enter runs a multi-line prompt; plain Enter is a newline.
    input.addEventListener(
      'keydown',
      (event) => {
        const key = event as KeyboardEvent;
        if (key.key === 'Enter' && (key.ctrlKey || key.metaKey)) form.requestSubmit();
      },
      { signal },
    );
  }
  return { form, input };
}

/** The message for a prompt longer than its setting allows, or null. */
export function promptLengthProblem(text: string, maxLength: number): string | null {
  return text.length > maxLength ? kitStrings.textTooLong('prompt', text.length, maxLength) : null;
}

let controlsMade = 0;

/** A unique id for a control on this page (labels point at it with for=). */
export function controlId(prefix: string): string {
  return `${prefix}-${++controlsMade}`;
}

/**
 * A labelled <select> of numbered options (layer 0, layer 1 ...). The label is a sibling joined
 * by for=, so the select's accessible name is the label alone, not the label plus its options.
 */
export function numberSelect(label: string, count: number, value: number, name: (i: number) => string = String): { label: HTMLElement; select: HTMLSelectElement } {
  const wrapper = element('span', 'mw-select');
  const select = element('select');
  select.id = controlId('mw-select');
  const caption = element('label', undefined, label);
  caption.htmlFor = select.id;
  for (let i = 0; i < count; i++) select.append(new Option(name(i), String(i)));
  select.value = String(Math.min(value, count - 1));
  wrapper.append(caption, select);
  return { label: wrapper, select };
}

/** A range input with its readout. */
export function slider(label: string, { min, max, step, value }: { min: number; max: number; step: number; value: number }): { label: HTMLLabelElement; input: HTMLInputElement; output: HTMLOutputElement } {
  const wrapper = element('label', 'mw-slider');
  const input = element('input');
  input.type = 'range';
  input.min = String(min);
  input.max = String(max);
  input.step = String(step);
  input.value = String(value);
  const output = element('output');
  wrapper.append(label, input, output);
  return { label: wrapper, input, output };
}

/**
 * Replaces a table's content with a caption, a row of column headers and the rows; with
 * rowHeaders the first cell of each row is a row header. With inPlace, a table that already has
 * this shape (same headers, as many rows and cells of the same kinds) keeps its elements and only
 * the texts that differ change: a slider that redraws a text alternative on every input then costs
 * the browser a few text nodes, not a new table to style and lay out. (Only for a table that its
 * widget does not decorate after filling: classes and buttons added to its cells would stay.)
 */
export function fillTable(
  table: HTMLTableElement,
  caption: string,
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  { rowHeaders = false, inPlace = false }: { rowHeaders?: boolean; inPlace?: boolean } = {},
): HTMLTableElement {
  if (inPlace && sameShape(table, header, rows, rowHeaders)) {
    setText(table.caption!, caption);
    const body = table.tBodies[0];
    rows.forEach((row, r) => row.forEach((cell, c) => setText(body.rows[r].cells[c], String(cell))));
    return table;
  }
  table.replaceChildren(element('caption', undefined, caption));
  const head = table.createTHead().insertRow();
  for (const cell of header) {
    const th = element('th', undefined, cell);
    th.scope = 'col';
    head.append(th);
  }
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    row.forEach((cell, i) => {
      if (rowHeaders && i === 0) {
        const th = element('th', undefined, String(cell));
        th.scope = 'row';
        tr.append(th);
      } else tr.insertCell().textContent = String(cell);
    });
  }
  return table;
}

/** Whether `table` was filled with these headers and as many rows and cells (of the same kinds). */
function sameShape(table: HTMLTableElement, header: readonly string[], rows: readonly (readonly unknown[])[], rowHeaders: boolean): boolean {
  const headRow = table.tHead?.rows[0];
  const body = table.tBodies[0];
  if (!table.caption || !headRow || !body || table.tBodies.length !== 1 || body.rows.length !== rows.length) return false;
  if (headRow.cells.length !== header.length || header.some((text, i) => headRow.cells[i].textContent !== text)) return false;
  return rows.every((row, r) => {
    const cells = body.rows[r].cells;
    return cells.length === row.length && (!rowHeaders || cells[0]?.tagName === 'TH') && (rowHeaders || row.length === 0 || cells[0].tagName === 'TD');
  });
}

/** Sets an element's text only when it differs (an equal assignment still replaces the text node). */
function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function hiddenTable(caption: string, header: string[], rows: (string | number)[][]): HTMLTableElement {
  return fillTable(element('table', 'mw-hidden'), caption, header, rows);
}

/**
 * Radio buttons in a fieldset with an inline legend (class widget-radios); onChange gets the
 * value the reader picked.
 */
export function radioGroup<T extends string>(
  legend: string,
  name: string,
  options: readonly (readonly [value: T, label: string])[],
  value: T,
  { signal, onChange, className }: { signal: AbortSignal; onChange: (value: T) => void; className?: string },
): { fieldset: HTMLFieldSetElement; inputs: HTMLInputElement[] } {
  const fieldset = element('fieldset', `widget-radios${className ? ` ${className}` : ''}`);
  fieldset.append(element('legend', undefined, legend));
  const inputs = options.map(([optionValue, label]) => {
    const wrapper = element('label');
    const input = element('input');
    input.type = 'radio';
    input.name = name;
    input.value = optionValue;
    input.checked = optionValue === value;
    input.addEventListener('change', () => input.checked && onChange(optionValue), { signal });
    wrapper.append(input, label);
    fieldset.append(wrapper);
    return input;
  });
  return { fieldset, inputs };
}

/** schedule(delay) runs task once, delay ms after the latest call; nothing runs once the widget is torn down. */
export function debounced(task: () => void, signal: AbortSignal): (delay: number) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  signal.addEventListener('abort', () => clearTimeout(timer));
  return (delay) => {
    clearTimeout(timer);
    if (!signal.aborted) timer = setTimeout(task, delay);
  };
}

/** A horizontally scrollable box for a wide table, reachable from the keyboard (axe: scrollable-region-focusable). */
export function tableScroller(table: HTMLTableElement, label: string): HTMLDivElement {
  const wrap = element('div', 'mw-table-wrap');
  wrap.tabIndex = 0;
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', label);
  wrap.append(table);
  return wrap;
}

/** Calls draw() when the element's width changes (a height change is our own redraw). */
export function onWidthChange(target: HTMLElement, signal: AbortSignal, draw: () => void): void {
  let width = target.clientWidth;
  const observer = new ResizeObserver(() => {
    if (target.clientWidth !== width) {
      width = target.clientWidth;
      draw();
    }
  });
  observer.observe(target);
  signal.addEventListener('abort', () => observer.disconnect());
}

/** Whether the reader asked for less motion (no animation then). */
export function prefersReducedMotion(): boolean {
  return matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** Format a number for the tables: fixed decimals, a real minus sign, -∞ for masked entries. */
export function formatNumber(value: number, digits = 3): string {
  if (value === -Infinity) return '−∞';
  if (value === Infinity) return '∞';
  return value.toFixed(digits).replace('-', '−');
}

/**
 * A line that tells the reader a region scrolls sideways, placed just before it and shown only
 * while the region's content is wider than the region (a grid or table on a phone). The region
 * should be focusable (tableScroller's is), so that arrow keys scroll it.
 */
export function scrollNote(region: HTMLElement, text: string, signal: AbortSignal): HTMLParagraphElement {
  const note = element('p', 'mw-scroll-note', text);
  note.hidden = true;
  const observer = new ResizeObserver(() => {
    if (!region.isConnected) return observer.disconnect(); // the widget drew a new region
    note.hidden = region.scrollWidth <= region.clientWidth + 1;
  });
  observer.observe(region);
  if (region.firstElementChild) observer.observe(region.firstElementChild);
  signal.addEventListener('abort', () => observer.disconnect());
  return note;
}

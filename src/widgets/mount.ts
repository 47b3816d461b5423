// Bringing a server-rendered widget shell to life: the one context builder for chapter pages,
// slides and embeds. It resolves the state, builds the WidgetContext, keeps the text alternative
// while the widget loads, and shows a model that cannot load with its reason and a Retry button.
import { checkPatch, resolveState, writeState, type StateOf, type StateSchema } from './state';
import type { StatusKind, WidgetContext, WidgetModule } from './types';
import { kitStrings } from './strings';
import { stylesheetsLoaded } from './styles';
import type { ModelSummary, ModelUpload, RuntimeClient } from '../runtime/client';

/** The model the notebook ships (public/models/glass-llama/). */
export const DEFAULT_MODEL_URL = `${import.meta.env?.BASE_URL ?? '/'}models/glass-llama/`;

/** The model every widget of the page runs: the shipped one, or the reader's own files. */
let pageModel: string | ModelUpload = DEFAULT_MODEL_URL;
/** A switch of the page's model in progress: widgets wait for it before they load a model. */
let switching: Promise<void> | null = null;
/** Every widget mounted on the page, to move them onto another model. */
const hosts = new Set<{ restartForModel(): Promise<void> }>();

/** Whether the widgets run the shipped model (not the reader's own). */
export function runsShippedModel(): boolean {
  return pageModel === DEFAULT_MODEL_URL;
}

/**
 * Loads `source` (the shipped model's URL, or the reader's files) and then moves every widget of
 * the page onto it: each starts again from its current state, through the one context builder.
 * Rejects with the loader's message if the model cannot load; the page then keeps its model.
 */
export async function usePageModel(source: string | ModelUpload): Promise<ModelSummary> {
  const runtime = await loadRuntime();
  let settled!: () => void;
  const mine = new Promise<void>((resolve) => (settled = resolve));
  switching = mine;
  let summary: ModelSummary;
  try {
    summary = await runtime.load(source);
    pageModel = source;
  } finally {
    // cleared before the waiting widgets wake, so they read the new pageModel
    if (switching === mine) switching = null;
    settled();
  }
  await Promise.all([...hosts].map((host) => host.restartForModel()));
  return summary;
}

/** The model runtime, imported on first use (the runtime module may be absent from a build). */
const runtimeModules = import.meta.glob<{ getRuntime(): Promise<RuntimeClient> }>('../runtime/client.ts');

export function loadRuntime(): Promise<RuntimeClient> {
  const load = runtimeModules['../runtime/client.ts'];
  if (!load) return Promise.reject(new Error(kitStrings.noRuntime));
  return load().then((module) => module.getRuntime());
}

/**
 * The parts of a widget shell (rendered by components/Widget.astro). The status line holds two
 * spans: the kit's notes about the link (bad settings, a prompt too long for the URL) and the
 * widget's own message, so a widget's status never hides a link note. The backend note has its
 * own line, which widgets cannot write.
 */
export interface WidgetShell {
  root: HTMLElement; // <figure data-widget=name data-widget-id=id data-widget-state=JSON>
  stage: HTMLElement; // [data-widget-stage]: the widget draws here
  fallback: HTMLElement | null; // the text alternative, shown until the widget draws
  statusLine: HTMLElement; // [data-widget-status], role="status"
  linkNote: HTMLElement; // [data-widget-link-note] inside the status line
  message: HTMLElement; // [data-widget-message] inside the status line
  backendLine: HTMLElement; // [data-widget-backend]
  retry: HTMLButtonElement; // [data-widget-retry]: shown when the model could not load
  exportButton: HTMLButtonElement; // [data-widget-export]: SVG, PNG, state and permalink (src/widgets/export.ts), shown once drawn
}

function part<T extends HTMLElement>(root: HTMLElement, selector: string, make: () => T, place: (made: T) => void): T {
  const found = root.querySelector<T>(selector);
  if (found) return found;
  const made = make();
  place(made);
  return made;
}

function made<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, data: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  node.setAttribute(data, '');
  return node;
}

/** A kit button of the shell, hidden until the kit shows it. */
function hiddenButton(className: string, data: string, label: string): HTMLButtonElement {
  const button = made('button', className, data);
  button.type = 'button';
  button.textContent = label;
  button.hidden = true;
  return button;
}

export function findShellParts(root: HTMLElement): WidgetShell {
  const stage = root.querySelector<HTMLElement>('[data-widget-stage]');
  const statusLine = root.querySelector<HTMLElement>('[data-widget-status]');
  if (!stage || !statusLine) throw new Error(`Widget shell "${root.dataset.widgetId}" lacks its stage or status line.`);
  // The text alternative moves out of the stage, so the widget draws into an empty element
  // while the reader still has the text until the figure is there.
  const fallback = root.querySelector<HTMLElement>('.widget__fallback');
  if (fallback && fallback.parentElement === stage) stage.before(fallback);
  const linkNote = part(root, '[data-widget-link-note]', () => made('span', 'widget__link-note', 'data-widget-link-note'), (node) => statusLine.replaceChildren(node));
  const message = part(root, '[data-widget-message]', () => made('span', 'widget__message', 'data-widget-message'), (node) => statusLine.append(node));
  const backendLine = part(root, '[data-widget-backend]', () => made('p', 'widget__backend', 'data-widget-backend'), (node) => statusLine.before(node));
  const retry = part(root, '[data-widget-retry]', () => hiddenButton('widget__retry', 'data-widget-retry', kitStrings.retry), (node) => statusLine.after(node));
  const exportButton = part(
    root,
    '[data-widget-export]',
    () => {
      const button = hiddenButton('widget__export', 'data-widget-export', kitStrings.exportFigure);
      button.setAttribute('aria-expanded', 'false');
      button.dataset.pagefindIgnore = '';
      return button;
    },
    // top right of the card, after the title in reading order
    (node) => {
      const title = root.querySelector(':scope > .widget__title');
      if (title) title.after(node);
      else root.prepend(node);
    },
  );
  return { root, stage, fallback, statusLine, linkNote, message, backendLine, retry, exportButton };
}

interface ShellText {
  kind: StatusKind;
  message: string;
  linkNotes: string[];
}
const shellTexts = new WeakMap<HTMLElement, ShellText>();

function render(shell: WidgetShell, text: ShellText): void {
  shellTexts.set(shell.root, text);
  const note = text.linkNotes.join(' ');
  shell.linkNote.textContent = note && text.message ? `${note} ` : note;
  shell.message.textContent = text.message;
  // A link note makes a ready widget's status a note (the CSS says "Note:", tests read data-status).
  shell.root.dataset.status = text.kind === 'ready' && note ? 'note' : text.kind;
}

/** Show the widget's status: the kind as data-status for CSS, the message after any link note. */
export function showStatus(shell: WidgetShell, kind: StatusKind, message = ''): void {
  const current = shellTexts.get(shell.root) ?? { kind, message, linkNotes: [] };
  render(shell, { ...current, kind, message });
}

/** The kit's notes about the link: bad or unknown settings, a state too long for the URL. */
export function showLinkNotes(shell: WidgetShell, notes: string[]): void {
  const current = shellTexts.get(shell.root) ?? { kind: 'ready' as StatusKind, message: '', linkNotes: [] };
  render(shell, { ...current, linkNotes: notes });
}

/** The backend line: one sentence, written by the kit only. */
function showBackend(shell: WidgetShell, notes: (string | null)[], tooltip = ''): void {
  const text = notes.filter((note): note is string => !!note).join(' ');
  shell.backendLine.textContent = text;
  shell.backendLine.hidden = text === '';
  shell.backendLine.title = tooltip;
}

/** The figure is drawn: the text alternative steps aside (the widget carries its own). */
function reveal(shell: WidgetShell): void {
  shell.root.dataset.live = 'ready';
  if (shell.fallback) shell.fallback.hidden = true;
}

/** The status while a widget's mount() runs, until the widget sets its own. */
const STARTING = kitStrings.starting;
/** Shells whose widget's mount() has not finished yet, with that mount's signal (a restart replaces it). */
const mounting = new WeakMap<HTMLElement, AbortSignal>();

/** Thrown by WidgetContext.model() when the model cannot load; the shell already says why. */
export class ModelLoadError extends Error {}

/** WidgetContext.model() for the widget in `shell`. */
export async function loadModelFor(shell: WidgetShell, modelUrl?: string): Promise<{ runtime: RuntimeClient; model: ModelSummary }> {
  showStatus(shell, 'loading', kitStrings.loadingModel);
  let runtime: RuntimeClient;
  let model: ModelSummary;
  try {
    runtime = await loadRuntime();
    while (switching) await switching; // never load the old model over the one the page is switching to
    model = await runtime.load(modelUrl ?? pageModel);
  } catch (error) {
    throw new ModelLoadError(kitStrings.modelCouldNotLoad(error instanceof Error ? error.message : String(error)));
  }
  // The runtime's one sentence ("No WebGPU here: running on WebAssembly."); its full reason is the tooltip.
  showBackend(shell, [model.backend.note ?? null], model.backend.reason);
  // Inside mount() the widget is still starting (its first run comes next); ready once mount() is done.
  if (mounting.has(shell.root)) showStatus(shell, 'loading', STARTING);
  else showStatus(shell, 'ready');
  reveal(shell);
  return { runtime, model };
}

/** `state` as the `${id}.${setting}` search parameters that resolveState reads. */
export function stateSearch(id: string, state: Record<string, string | number | boolean>): URLSearchParams {
  return new URLSearchParams(Object.entries(state).map(([setting, value]) => [`${id}.${setting}`, String(value)]));
}

export interface WidgetHostOptions<Schema extends StateSchema> {
  /** Where the reader's settings come from: `${id}.${setting}` parameters. */
  search: URLSearchParams;
  /** Chapter pages keep the state in the page URL (history.replaceState); slides and embeds do not. */
  writeUrl: boolean;
  /** Called after every change the widget makes, with the whole new state. */
  onStateChange?(state: StateOf<Schema>): void;
  /** Notes the caller adds to the link notes (e.g. an embed's settings of the page). */
  notes?: string[];
}

/** A mounted widget: its state, and a way to start it again (a new state, or a Retry). */
export interface WidgetHost<Schema extends StateSchema> {
  id: string;
  readonly state: StateOf<Schema>;
  /** Tear the widget down and mount it again, reading its state from `search`. */
  restart(search: URLSearchParams, notes?: string[]): Promise<void>;
  stop(): void;
}

/**
 * Mount `module` into `shell`: the one place a WidgetContext is built. Resolves when the first
 * mount() has finished (or failed: the shell then says why; this never rejects).
 */
export async function hostWidget<Schema extends StateSchema>(
  shell: WidgetShell,
  module: WidgetModule<Schema>,
  options: WidgetHostOptions<Schema>,
): Promise<WidgetHost<Schema>> {
  const id = shell.root.dataset.widgetId!;
  const authored = JSON.parse(shell.root.dataset.widgetState ?? '{}') as Record<string, unknown>;
  let teardown = new AbortController();
  let state: StateOf<Schema>;

  async function mount(search: URLSearchParams, notes: string[]): Promise<void> {
    teardown.abort();
    const attempt = new AbortController();
    teardown = attempt;
    const signal = attempt.signal;
    const resolved = resolveState(module.schema, id, authored, search);
    // A wrong `state` prop is a bug in the chapter: log it so the browser tests fail on it.
    for (const problem of resolved.authorProblems) console.error(problem);
    const linkNotes = [...notes, ...resolved.linkProblems];
    state = resolved.state;

    const context: WidgetContext<StateOf<Schema>> = {
      id,
      get state() {
        return state;
      },
      setState(requested) {
        // Text past its setting's length (a script filled a box past its maxlength) is refused
        // with a message, not thrown: a reader's paste must never become a page error.
        const patch = { ...requested };
        for (const [name, value] of Object.entries(requested)) {
          const setting = module.schema[name];
          if (setting?.kind === 'text' && typeof value === 'string' && value.length > setting.maxLength) {
            delete patch[name as keyof typeof patch];
            showStatus(shell, 'note', kitStrings.textTooLong(name, value.length, setting.maxLength));
          }
        }
        checkPatch(module.schema, id, patch);
        state = { ...state, ...patch };
        if (options.writeUrl) {
          const url = new URL(location.href);
          const leftOut = writeState(url, id, module.schema, state, resolved.defaults);
          history.replaceState(history.state, '', url);
          const capNotes = leftOut.map((name) => kitStrings.tooLongForLink(name, String(state[name as keyof typeof state]).length));
          showLinkNotes(shell, [...linkNotes, ...capNotes]);
        }
        options.onStateChange?.(state);
        return state;
      },
      runtime: loadRuntime,
      model: async (modelUrl) => {
        try {
          return await loadModelFor(shell, modelUrl);
        } catch (error) {
          if (error instanceof ModelLoadError && !signal.aborted) modelFailed(error.message);
          throw error;
        }
      },
      // A torn-down widget (restarted, or its model failed) no longer writes the status line.
      status: (kind, message) => {
        if (!signal.aborted) showStatus(shell, kind, message);
      },
      signal,
    };

    /** The model cannot load: keep the text alternative, say why, offer Retry; this attempt stops. */
    function modelFailed(message: string): void {
      attempt.abort();
      shell.stage.replaceChildren();
      shell.root.dataset.live = 'failed';
      if (shell.fallback) shell.fallback.hidden = false;
      showStatus(shell, 'error', message);
      shell.retry.hidden = false;
    }

    shell.stage.replaceChildren();
    shell.retry.hidden = true;
    closeExport();
    shell.exportButton.hidden = true;
    delete shell.root.dataset.drawn;
    if (module.needsShippedModel && !runsShippedModel()) {
      // a figure about the shipped model (its corpus, its tokens) says so rather than mislead
      shell.root.dataset.live = 'shipped-only';
      if (shell.fallback) shell.fallback.hidden = false;
      showLinkNotes(shell, linkNotes);
      showStatus(shell, 'note', kitStrings.needsShippedModel(module.needsShippedModel));
      shell.root.dataset.drawn = 'true';
      return;
    }
    shell.root.dataset.mounted = 'true';
    shell.root.dataset.live = 'loading';
    if (shell.fallback) shell.fallback.hidden = false;
    showLinkNotes(shell, linkNotes);
    // Loading until mount() is done (or the widget says otherwise), so nobody reads a half-started
    // widget as ready.
    showStatus(shell, 'loading', STARTING);
    mounting.set(shell.root, signal);
    try {
      // The widget's stylesheets (src/widgets/styles.ts) are in before it draws or measures anything.
      await stylesheetsLoaded();
      await module.mount(shell.stage, context);
      if (mounting.get(shell.root) === signal) mounting.delete(shell.root);
      if (signal.aborted) return;
      reveal(shell);
      // mount() has drawn the figure: the browser tests check the page (axe, layout) only after this.
      shell.root.dataset.drawn = 'true';
      shell.exportButton.hidden = false;
      const now = shellTexts.get(shell.root);
      if (now?.kind === 'loading' && now.message === STARTING) showStatus(shell, 'ready');
    } catch (error) {
      if (mounting.get(shell.root) === signal) mounting.delete(shell.root);
      if (signal.aborted) return;
      if (error instanceof ModelLoadError) return modelFailed(error.message);
      showStatus(shell, 'error', kitStrings.couldNotStart(error instanceof Error ? error.message : String(error)));
      console.error(`Widget "${id}" failed to start:`, error);
    }
  }

  // Export: a panel made from the figure as it is when the reader asks (src/widgets/export.ts).
  let closeExport = () => {};
  shell.exportButton.onclick = async () => {
    if (shell.exportButton.getAttribute('aria-expanded') === 'true') return closeExport();
    shell.exportButton.setAttribute('aria-expanded', 'true');
    const { openExportPanel, permalink } = await import('./export');
    await stylesheetsLoaded();
    const settings = state as Record<string, string | number | boolean>;
    const defaults = resolveState(module.schema, id, authored, new URLSearchParams()).defaults as Record<string, string | number | boolean>;
    const link = permalink({ href: location.href, name: shell.root.dataset.widget!, id, schema: module.schema, state: settings, defaults, inPageUrl: options.writeUrl });
    const close = await openExportPanel({ root: shell.root, stage: shell.stage, name: shell.root.dataset.widget!, state: settings, link }, (panel) => shell.exportButton.after(panel));
    closeExport = () => {
      close();
      closeExport = () => {};
      shell.exportButton.setAttribute('aria-expanded', 'false');
    };
  };

  // Retry starts again from the state the reader had, not from the link.
  shell.retry.onclick = () => void mount(stateSearch(id, state), []);
  const onPage = { restartForModel: () => mount(stateSearch(id, state), []) };
  hosts.add(onPage);
  await mount(options.search, options.notes ?? []);
  return {
    id,
    get state() {
      return state;
    },
    restart: (search, notes = []) => mount(search, notes),
    stop: () => {
      hosts.delete(onPage);
      teardown.abort();
    },
  };
}

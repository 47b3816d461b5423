// A widget shell brought to life outside the reading view: on a slide or alone in an embed page.
// Unlike the chapter loader (src/widgets/loader.ts), the caller decides when it starts, hears of
// every state change (to share it with another window), and can restart the widget with a state
// that came from elsewhere (the presenter moved a slider; the audience window follows).
import { findShellParts, loadModelFor, loadRuntime, showStatus } from '../widgets/mount';
import { widgetRegistry, type WidgetName } from '../widgets/registry';
import { checkPatch, resolveState, type StateOf, type StateSchema } from '../widgets/state';
import type { WidgetContext, WidgetModule } from '../widgets/types';

export type WidgetState = Record<string, string | number | boolean>;

export interface LiveWidgetOptions {
  /** Where the widget's state comes from: `${id}.${setting}` parameters, as on chapter pages. */
  search: URLSearchParams;
  /** Called after every change the reader makes, with the whole new state. */
  onStateChange?(state: WidgetState): void;
  /** Name settings in `search` that this widget does not have (an embed's link has no other widgets). */
  reportUnknownSettings?: boolean;
}

export interface LiveWidget {
  id: string;
  readonly state: WidgetState;
  /** Tear the widget down and start it again with `state` (checked against its schema). */
  restart(state: WidgetState): Promise<void>;
  stop(): void;
}

/** Start the widget in `root` (a shell rendered by components/Widget.astro). */
export async function startLiveWidget(root: HTMLElement, options: LiveWidgetOptions): Promise<LiveWidget> {
  const shell = findShellParts(root);
  const id = root.dataset.widgetId!;
  const name = root.dataset.widget as WidgetName;
  const authored = JSON.parse(root.dataset.widgetState ?? '{}') as Record<string, unknown>;
  showStatus(shell, 'loading', 'Loading the interactive figure…');
  let module: WidgetModule<StateSchema>;
  try {
    const load = widgetRegistry[name] as (() => Promise<WidgetModule<StateSchema>>) | undefined;
    if (!load) throw new Error(`there is no widget named "${name}"`);
    module = await load();
  } catch (error) {
    showStatus(shell, 'error', `This figure could not start: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }

  let state: WidgetState = {};
  let teardown = new AbortController();

  async function mount(search: URLSearchParams, notes: string[]): Promise<void> {
    teardown.abort();
    teardown = new AbortController();
    const signal = teardown.signal;
    const resolved = resolveState(module.schema, id, authored, search);
    for (const problem of resolved.authorProblems) console.error(problem);
    state = resolved.state as WidgetState;
    const context: WidgetContext<StateOf<StateSchema>> = {
      id,
      get state() {
        return state as StateOf<StateSchema>;
      },
      setState(patch) {
        checkPatch(module.schema, id, patch);
        state = { ...state, ...patch } as WidgetState;
        options.onStateChange?.(state);
        return state as StateOf<StateSchema>;
      },
      runtime: loadRuntime,
      model: (modelUrl) => loadModelFor(shell, modelUrl),
      status: (kind, message) => showStatus(shell, kind, message),
      signal,
    };
    shell.stage.replaceChildren();
    delete root.dataset.drawn;
    root.dataset.mounted = 'true';
    showStatus(shell, 'ready');
    try {
      await module.mount(shell.stage, context);
    } catch (error) {
      showStatus(shell, 'error', `This figure could not start: ${error instanceof Error ? error.message : String(error)}`);
      console.error(`Widget "${id}" failed to start:`, error);
      return;
    }
    // mount() has drawn the figure: the browser tests check the page (axe, layout) only after this.
    root.dataset.drawn = 'true';
    const problems = [...notes, ...resolved.linkProblems];
    if (problems.length > 0 && root.dataset.status !== 'error') showStatus(shell, 'note', problems.join(' '));
  }

  const settings = Object.keys(module.schema);
  const unknown = options.reportUnknownSettings ? unknownSettings(options.search, id, settings) : [];
  const notes = unknown.map((setting) => `The link sets "${setting}", which is not a setting of this figure (${settings.join(', ')}).`);
  await mount(options.search, notes);
  return {
    id,
    get state() {
      return state;
    },
    restart: (next) => mount(stateSearch(id, next), []),
    stop: () => teardown.abort(),
  };
}

/** `state` as the `${id}.${setting}` search parameters that resolveState reads. */
export function stateSearch(id: string, state: WidgetState): URLSearchParams {
  return new URLSearchParams(Object.entries(state).map(([setting, value]) => [`${id}.${setting}`, String(value)]));
}

/** Settings named for widget `id` in `search` that are not among `settings`. */
export function unknownSettings(search: URLSearchParams, id: string, settings: string[]): string[] {
  const prefix = `${id}.`;
  return [...search.keys()].filter((key) => key.startsWith(prefix) && !settings.includes(key.slice(prefix.length))).map((key) => key.slice(prefix.length));
}

// Bringing a server-rendered widget shell to life: build its context and call its module's mount().
import { checkPatch, resolveState, writeState, type StateOf, type StateSchema } from './state';
import type { StatusKind, WidgetContext, WidgetModule } from './types';
import type { BackendInfo, ModelSummary, RuntimeClient } from '../runtime/client';

/** The model the notebook ships (public/models/glass-llama/). */
export const DEFAULT_MODEL_URL = '/models/glass-llama/';

const BACKEND_NAMES: Record<string, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WebAssembly',
  cpu: 'plain JavaScript on the CPU',
};

/**
 * The status-line note for a backend other than WebGPU ("No WebGPU here: running on WebAssembly."),
 * or null on WebGPU. The runtime's full reason (what failed and why) is kept for the tooltip.
 */
export function backendNote(backend: BackendInfo): string | null {
  if (backend.name === 'webgpu') return null;
  const running = BACKEND_NAMES[backend.name] ?? backend.name;
  return backend.fallbacks.includes('webgpu') ? `No WebGPU here: running on ${running}.` : `Running on ${running}, as requested.`;
}

/** The model runtime, imported on first use (the runtime module may be absent from a build). */
const runtimeModules = import.meta.glob<{ getRuntime(): Promise<RuntimeClient> }>('../runtime/client.ts');

export function loadRuntime(): Promise<RuntimeClient> {
  const load = runtimeModules['../runtime/client.ts'];
  if (!load) return Promise.reject(new Error('This build of the site has no model runtime (src/runtime/client.ts).'));
  return load().then((module) => module.getRuntime());
}

/** The parts of a widget shell that mount() reads or writes (rendered by components/Widget.astro). */
export interface WidgetShell {
  root: HTMLElement; // <figure data-widget=name data-widget-id=id data-widget-state=JSON>
  stage: HTMLElement; // [data-widget-stage]: the widget draws here
  statusLine: HTMLElement; // [data-widget-status], role="status"
}

export function findShellParts(root: HTMLElement): WidgetShell {
  const stage = root.querySelector<HTMLElement>('[data-widget-stage]');
  const statusLine = root.querySelector<HTMLElement>('[data-widget-status]');
  if (!stage || !statusLine) throw new Error(`Widget shell "${root.dataset.widgetId}" lacks its stage or status line.`);
  return { root, stage, statusLine };
}

/** Show a status on the shell: the text in the status line, the kind as data-status for CSS. */
export function showStatus(shell: WidgetShell, kind: StatusKind, message = ''): void {
  shell.root.dataset.status = kind;
  shell.statusLine.textContent = message;
}

/** WidgetContext.model() for the widget in `shell` (also used by slides and embeds, src/embed/liveWidget.ts). */
export async function loadModelFor(shell: WidgetShell, modelUrl = DEFAULT_MODEL_URL): Promise<{ runtime: RuntimeClient; model: ModelSummary }> {
  showStatus(shell, 'loading', 'Loading the model…');
  const runtime = await loadRuntime();
  const model = await runtime.load(modelUrl);
  const note = backendNote(model.backend);
  showStatus(shell, note ? 'note' : 'ready', note ?? '');
  shell.statusLine.title = model.backend.reason;
  return { runtime, model };
}

/** Create the context for one widget and run its mount(); resolves when mount() finishes. */
export async function mountWidget<Schema extends StateSchema>(
  shell: WidgetShell,
  module: WidgetModule<Schema>,
  signal: AbortSignal,
): Promise<void> {
  const id = shell.root.dataset.widgetId!;
  const authored = JSON.parse(shell.root.dataset.widgetState ?? '{}') as Record<string, unknown>;
  const resolved = resolveState(module.schema, id, authored, new URL(location.href).searchParams);
  // A wrong `state` prop is a bug in the chapter: log it so the browser tests fail on it.
  for (const problem of resolved.authorProblems) console.error(problem);

  let state = resolved.state;
  const context: WidgetContext<StateOf<Schema>> = {
    id,
    get state() {
      return state;
    },
    setState(patch) {
      checkPatch(module.schema, id, patch);
      state = { ...state, ...patch };
      const url = writeState(new URL(location.href), id, module.schema, state, resolved.defaults);
      history.replaceState(history.state, '', url);
      return state;
    },
    runtime: loadRuntime,
    model: (modelUrl) => loadModelFor(shell, modelUrl),
    status: (kind, message) => showStatus(shell, kind, message),
    signal,
  };

  // The server-rendered text alternative stays for screen readers only once the widget draws.
  shell.stage.replaceChildren();
  shell.root.dataset.mounted = 'true';
  showStatus(shell, 'ready');
  await module.mount(shell.stage, context);
  // mount() has drawn the figure: the browser tests check the page (axe, layout) only after this.
  shell.root.dataset.drawn = 'true';
  if (resolved.linkProblems.length > 0 && shell.root.dataset.status !== 'error') {
    showStatus(shell, 'note', resolved.linkProblems.join(' '));
  }
}

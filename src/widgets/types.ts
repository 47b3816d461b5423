// The contract between a chapter's <Widget> tag and a widget module (see README "Writing a chapter").
import type { ModelSummary, RuntimeClient } from '../runtime/client';
import type { StateOf, StateSchema } from './state';

/**
 * What the status line under a widget says:
 * - loading: work in progress ("Loading the model (1.2 MB)…")
 * - ready: the widget is interactive (the status line is cleared)
 * - note: something the reader should know but that does not stop the widget
 *   ("No WebGPU here: running on WebAssembly.", "The link's layer=9 is out of range ...")
 * - error: the widget cannot run; the message says why and what to try
 */
export type StatusKind = 'loading' | 'ready' | 'note' | 'error';

export interface WidgetContext<State> {
  /** This widget's id on the page (its URL parameters start with `${id}.`). */
  id: string;
  /** Current state: schema defaults, overridden by the chapter's `state` prop, then by the URL. */
  readonly state: Readonly<State>;
  /** Merge a patch into the state and write it to the URL (history.replaceState). Returns the new state. */
  setState(patch: Partial<State>): Readonly<State>;
  /** The shared model runtime (one worker per page), loaded on first call. */
  runtime(): Promise<RuntimeClient>;
  /**
   * The runtime with the notebook's model loaded (default /models/glass-llama/). Shows "Loading
   * the model…" meanwhile, then clears the status on WebGPU or leaves a note naming the backend
   * in use otherwise ("No WebGPU here: running on WebAssembly."). Rejects if the model cannot load.
   */
  model(modelUrl?: string): Promise<{ runtime: RuntimeClient; model: ModelSummary }>;
  /** Update the status line under the widget (role="status", announced politely). */
  status(kind: StatusKind, message?: string): void;
  /** Aborted when the widget is torn down; stop work and drop listeners when it fires. */
  signal: AbortSignal;
}

/** What a widget module exports (the registry imports it only when the widget nears the viewport). */
export interface WidgetModule<Schema extends StateSchema = StateSchema> {
  /** The widget's settings: names, types, ranges and defaults. */
  schema: Schema;
  /**
   * Set by a figure that only makes sense on the shipped model (it reads our corpus, names our
   * tokens): why, in a few words. With the reader's own model loaded, the kit shows this instead
   * of the figure ("This figure needs the shipped model: …").
   */
  needsShippedModel?: string;
  /**
   * Draw the widget into `el` (an empty element sized by the page; never assume a width, read
   * el.clientWidth or use a ResizeObserver). Everything must work from the keyboard.
   */
  mount(el: HTMLElement, context: WidgetContext<StateOf<Schema>>): void | Promise<void>;
}

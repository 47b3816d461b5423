// A widget shell brought to life outside the reading view: on a slide or alone in an embed page.
// Unlike the chapter loader (src/widgets/loader.ts), the caller decides when it starts, hears of
// every state change (to share it with another window), and can restart the widget with a state
// that came from elsewhere (the presenter moved a slider; the audience window follows).
// The context itself is built by the kit's one builder, hostWidget (src/widgets/mount.ts).
import { findShellParts, hostWidget, showStatus, stateSearch } from '../widgets/mount';
import { widgetRegistry, type WidgetName } from '../widgets/registry';
import type { StateSchema } from '../widgets/state';
import { kitStrings } from '../widgets/strings';
import type { WidgetModule } from '../widgets/types';

export { stateSearch } from '../widgets/mount';
export { unknownSettings } from '../widgets/state';

export type WidgetState = Record<string, string | number | boolean>;

export interface LiveWidgetOptions {
  /** Where the widget's state comes from: `${id}.${setting}` parameters, as on chapter pages. */
  search: URLSearchParams;
  /** Called after every change the reader makes, with the whole new state. */
  onStateChange?(state: WidgetState): void;
  /** Notes about the link that the caller found (an embed page's own parameters). */
  notes?: string[];
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
  const name = root.dataset.widget as WidgetName;
  showStatus(shell, 'loading', kitStrings.loadingFigure);
  let module: WidgetModule<StateSchema>;
  try {
    const load = widgetRegistry[name] as (() => Promise<WidgetModule<StateSchema>>) | undefined;
    if (!load) throw new Error(kitStrings.noWidget(name));
    module = await load();
  } catch (error) {
    showStatus(shell, 'error', kitStrings.couldNotStart(error instanceof Error ? error.message : String(error)));
    throw error;
  }
  const host = await hostWidget(shell, module, {
    search: options.search,
    writeUrl: false,
    onStateChange: (state) => options.onStateChange?.(state as WidgetState),
    notes: options.notes,
  });
  return {
    id: host.id,
    get state() {
      return host.state as WidgetState;
    },
    restart: (next) => host.restart(stateSearch(host.id, next)),
    stop: () => host.stop(),
  };
}

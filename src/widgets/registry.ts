// Every widget a chapter can place, by the name used in <Widget name="...">, generated from the
// files in components/: a widget is a PascalCase module there (one widget per file, exporting
// `schema` and `mount`), and its name is the file name in kebab case:
//   components/AttentionHeatmap.ts -> 'attention-heatmap'
// camelCase modules beside them (modelWidgetParts.ts, promptTokens.ts) are shared parts, not widgets.
// Each entry is a dynamic import, so a widget's code (and D3, and the model runtime) is a separate
// file that the page fetches only when that widget comes near the viewport.
import type { WidgetModule } from './types';

/** A widget's name: the kebab-case name of a PascalCase file in components/. */
export type WidgetName = string;

type Load = () => Promise<WidgetModule<any>>;

/** A widget's file, as a glob key or file name ("../../components/RopeStretch.ts"), is PascalCase. */
const WIDGET_FILE = /(?:^|\/)([A-Z][A-Za-z0-9]*)\.ts$/;

/** "AttentionHeatmap" -> "attention-heatmap", "MlpInside" -> "mlp-inside". */
export function widgetNameOf(fileStem: string): WidgetName {
  return fileStem.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * The PascalCase components/*.ts as lazy imports, keyed by path. Vite (the site, vitest) expands
 * import.meta.glob at build time and replaces import.meta.env.MODE with a string, so the bundle
 * keeps only the glob; plain Node (tsx scripts such as scripts/measure-embeds.ts) has no
 * import.meta.env and lists the same directory instead.
 */
const componentFiles: Record<string, Load> = import.meta.env?.MODE
  ? import.meta.glob<WidgetModule<any>>('../../components/[A-Z]*.ts')
  : componentFilesInNode();

function componentFilesInNode(): Record<string, Load> {
  const { readdirSync } = process.getBuiltinModule('node:fs');
  const directory = new URL(/* @vite-ignore */ '../../components/', import.meta.url);
  return Object.fromEntries(
    readdirSync(directory)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => [`../../components/${file}`, () => import(/* @vite-ignore */ new URL(file, directory).href)]),
  );
}

export const widgetRegistry: Record<WidgetName, Load> = Object.fromEntries(
  Object.entries(componentFiles)
    .map(([path, load]) => [WIDGET_FILE.exec(path)?.[1], load] as const)
    .filter((entry): entry is readonly [string, Load] => entry[0] !== undefined)
    .map(([stem, load]) => [widgetNameOf(stem), load])
    .sort(([a], [b]) => (a < b ? -1 : 1)),
);

/** The names a chapter may use, in alphabetical order. */
export const widgetNames: WidgetName[] = Object.keys(widgetRegistry);

/**
 * The build-time check of <Widget name="...">: throws for a name with no widget, listing the
 * valid names, so a typo in a chapter stops `astro build`.
 */
export function assertWidgetName(name: string): asserts name is WidgetName {
  if (!Object.hasOwn(widgetRegistry, name)) {
    throw new Error(`<Widget name="${name}">: no such widget. Received "${name}". Expected one of: ${widgetNames.join(', ')}.`);
  }
}

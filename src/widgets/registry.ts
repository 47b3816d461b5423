// Every widget a chapter can place, by the name used in <Widget name="...">.
// Each entry is a dynamic import, so a widget's code (and D3, and the model runtime) is a separate
// file that the page fetches only when that widget comes near the viewport.
import type { WidgetModule } from './types';

export const widgetRegistry = {
  'softmax-temperature': () => import('../../components/SoftmaxTemperature'),
  'attention-heatmap': () => import('../../components/AttentionHeatmap'),
  'attention-step': () => import('../../components/AttentionStep'),
  'attention-mask': () => import('../../components/AttentionMask'),
  'rope-rotation': () => import('../../components/RopeRotation'),
  'rope-relative': () => import('../../components/RopeRelative'),
  'rope-stretch': () => import('../../components/RopeStretch'),
  'padding-batch': () => import('../../components/PaddingBatch'),
  'logits-position': () => import('../../components/LogitsPosition'),
  'dropout-runs': () => import('../../components/DropoutRuns'),
  'dropout-inside': () => import('../../components/DropoutInside'),
  'forgotten-eval': () => import('../../components/ForgottenEval'),
  'activation-explorer': () => import('../../components/ActivationExplorer'),
  'mlp-inside': () => import('../../components/MlpInside'),
  'next-token-bars': () => import('../../components/NextTokenBars'),
  'beam-tree': () => import('../../components/BeamTree'),
  'degeneration': () => import('../../components/Degeneration'),
} satisfies Record<string, () => Promise<WidgetModule<any>>>;

export type WidgetName = keyof typeof widgetRegistry;

/** The names a chapter may use, for the build-time check in Widget.astro. */
export const widgetNames = Object.keys(widgetRegistry) as WidgetName[];

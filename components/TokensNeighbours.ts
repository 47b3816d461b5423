// A token's nearest pieces by cosine in our model's embedding matrix, and a 2-D picture (the
// first two principal components, computed here) of a few hundred pieces coloured by kind, with
// the chosen token and its neighbours labelled.
import tokensNeighboursCss from './TokensNeighbours.css?url';
import { findPiece, nearestByCosine, pieceGroup, principalPlane, projectRow, sampleRows, type PrincipalPlane } from '../src/chapters/tokens';
import { tokenScatter, type ScatterPoint } from '../src/charts/tokenScatter';
import { pieceLabel } from '../src/widgets/pieces';
import { text, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, onWidthChange, promptForm, reportFailure } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(tokensNeighboursCss);

export const schema = {
  /** The token: a piece ("▁red") or a word ("red" means "▁red"). */
  token: text(24, 'red'),
};

type State = StateOf<typeof schema>;

/** Neighbours listed and labelled. */
export const NEIGHBOURS = 8;
/** Pieces of each kind in the picture. */
export const PER_GROUP = 90;

const GROUP_NAMES: Record<string, string> = {
  capitalised: 'capitalised words (mostly names)',
  verb: 'verbs',
  word: 'other words and word parts',
  punctuation: 'punctuation',
  byte: 'byte tokens',
  chinese: 'Chinese characters',
};

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { form, input } = promptForm(ctx, { maxLength: schema.token.maxLength, label: 'Token (a word, or a piece such as ▁red or ily)', initial: ctx.state.token }, (typed) => draw(typed));
  const legend = element('ul', 'tok-legend');
  for (const [group, name] of Object.entries(GROUP_NAMES)) {
    const item = element('li');
    item.append(element('span', `tok-legend__swatch tok-legend__swatch--${group}`), name);
    legend.append(item);
  }
  const chart = element('div', 'widget-chart');
  const table = element('table', 'mw-table');
  el.append(form, table, chart, legend);

  let pieces: readonly string[];
  let embedding: Float32Array;
  let hidden: number;
  let plane: PrincipalPlane;
  let sample: number[];
  try {
    const { runtime } = await loadModel(ctx);
    const [tokenizer, matrix] = await Promise.all([pageTokenizer(runtime), runtime.call('embeddingTable', { which: 'input' })]);
    pieces = tokenizer.pieces;
    embedding = matrix.data;
    hidden = matrix.shape[1];
    sample = sampleRows(pieces, PER_GROUP);
    plane = principalPlane(embedding, hidden, sample);
  } catch (error) {
    reportFailure(ctx, error);
    return;
  }

  let chosen = -1;
  let neighbours: { id: number; cosine: number }[] = [];
  const drawChart = () => {
    if (chosen < 0) return;
    const marked = new Set(neighbours.map((n) => n.id));
    const rows = [...new Set([...sample, chosen, ...marked])];
    const points: ScatterPoint[] = rows.map((row) => {
      const [x, y] = projectRow(embedding, hidden, row, plane);
      return { x, y, group: pieceGroup(pieces[row]) ?? 'word', label: pieceLabel(pieces[row]), highlight: row === chosen, labelled: marked.has(row) };
    });
    const explained = `${(100 * plane.explained[0]).toFixed(1)}% and ${(100 * plane.explained[1]).toFixed(1)}%`;
    chart.replaceChildren(
      tokenScatter(points, {
        width: Math.max(260, chart.clientWidth),
        label: `${sample.length} pieces on the first two principal axes of their embedding rows (${explained} of the variance); ${pieceLabel(pieces[chosen])} and its ${NEIGHBOURS} nearest pieces are labelled.`,
      }),
    );
  };

  const draw = (typed: string) => {
    const id = findPiece(pieces, typed);
    if (typed.trim().length === 0) {
      ctx.status('error', 'Type a token: a word such as red, or a piece such as ▁red.');
      return;
    }
    if (id === undefined) {
      ctx.status('error', `"${typed}" is not one piece of our vocabulary (1,735 pieces). Try a common story word (red, dog, happy), a piece such as ily, or a byte token such as <0x41>.`);
      return;
    }
    ctx.setState({ token: typed });
    chosen = id;
    neighbours = nearestByCosine(embedding, hidden, id, NEIGHBOURS);
    fillTable(
      table,
      `The ${NEIGHBOURS} pieces nearest to ${pieceLabel(pieces[id])} (id ${id}) by cosine of their embedding rows`,
      ['piece', 'id', 'cosine'],
      neighbours.map((n) => [pieceLabel(pieces[n.id]), n.id, formatNumber(n.cosine)]),
    );
    drawChart();
    ctx.status('ready');
  };
  onWidthChange(chart, ctx.signal, drawChart);
  input.value = ctx.state.token;
  draw(ctx.state.token);
}

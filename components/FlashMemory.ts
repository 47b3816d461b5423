// Counting slow-memory traffic: how many numbers standard attention (Algorithm 0) and
// FlashAttention (Algorithm 1) read from and write to HBM for one head, as functions of the
// sequence length N, the head dimension d and the on-chip memory M (src/llama/flashAttention.ts,
// Dao et al. 2022, Theorem 2). Pure arithmetic: no model.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import decodingWidgetsCss from './decodingWidgets.css?url';
import flashWidgetsCss from './flashWidgets.css?url';
import { logLogChart } from '../src/charts/logLogChart';
import { countInWords } from '../src/chapters/flash';
import { flashBlockSizes, flashHbmAccesses, standardHbmAccesses, totalAccesses } from '../src/llama/flashAttention';
import { integer } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, onWidthChange, slider, tableScroller } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(decodingWidgetsCss);
loadStylesheet(flashWidgetsCss);

export const schema = {
  /** Sequence length N. */
  n: integer(16, 131_072, 1024),
  /** Head dimension d. */
  d: integer(16, 256, 64),
  /** On-chip memory in KiB; M counts fp16 numbers, so M = KiB · 1024 / 2. */
  sram: integer(16, 1024, 192),
};

type State = StateOf<typeof schema>;

/** The N of the chart: powers of two from 64 to 131,072. */
export const CHART_LENGTHS = Array.from({ length: 12 }, (_, i) => 64 * 2 ** i);

/** 4096 as "4K": powers of two from 1024 on in K, the rest as they are. */
export function shortLength(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024}K` : n.toLocaleString('en-US');
}

/** M in fp16 numbers for an SRAM of `kib` KiB. */
export function sramNumbers(kib: number): number {
  return (kib * 1024) / 2;
}

export function mount(el: HTMLElement, ctx: WidgetContext<State>): void {
  const controls = element('div', 'dw-grid');
  const exponent = (value: number) => Math.round(Math.log2(value));
  const n = slider('Sequence length N', { min: 4, max: 17, step: 1, value: exponent(ctx.state.n) });
  const d = slider('Head dimension d', { min: 4, max: 8, step: 1, value: exponent(ctx.state.d) });
  const sram = slider('On-chip memory (KiB)', { min: 4, max: 10, step: 1, value: exponent(ctx.state.sram) });
  controls.append(n.label, d.label, sram.label);
  const results = element('div', 'flash-results');
  const chart = element('div', 'mw-chart');
  const legend = element('ul', 'dw-legend');
  legend.append(element('li', 'dw-key--1', 'standard attention (Algorithm 0)'), element('li', 'dw-key--3', 'FlashAttention (Algorithm 1)'));
  const table = element('table', 'mw-table');
  el.append(controls, results, chart, legend, tableScroller(table, 'Where the numbers moved come from'));

  function draw(): void {
    const { n: length, d: dim } = ctx.state;
    const m = sramNumbers(ctx.state.sram);
    n.output.value = shortLength(length);
    d.output.value = String(dim);
    sram.output.value = String(ctx.state.sram);
    const standard = standardHbmAccesses(length, dim);
    const flash = flashHbmAccesses(length, dim, m);
    const { rowBlock, colBlock } = flashBlockSizes(m, dim);
    const passes = Math.ceil(length / colBlock);
    const ratio = totalAccesses(standard) / totalAccesses(flash);
    const cell = (label: string, value: string, detail: string) => {
      const box = element('p');
      box.append(`${label}: `, element('strong', undefined, value), element('br'), detail);
      return box;
    };
    results.replaceChildren(
      cell('Standard', countInWords(totalAccesses(standard)), `${countInWords(standard.reads)} read, ${countInWords(standard.writes)} written`),
      cell('FlashAttention', countInWords(totalAccesses(flash)), `${countInWords(flash.reads)} read, ${countInWords(flash.writes)} written`),
      cell(ratio >= 1 ? 'Tiled moves' : 'Tiled moves more', ratio >= 1 ? `${ratio.toFixed(1)}× less` : `${(1 / ratio).toFixed(1)}× more`, `M = ${m.toLocaleString('en-US')} numbers: B_c = ${colBlock}, B_r = ${rowBlock}, ${passes} pass${passes === 1 ? '' : 'es'} over Q and O`),
    );
    const notes: string[] = [];
    if (colBlock >= length) notes.push(`B_c = ${colBlock} ≥ N: one block of keys holds the whole sequence, and M = ${m.toLocaleString('en-US')} is past Theorem 2's range d ≤ M ≤ Nd (N·d = ${(length * dim).toLocaleString('en-US')}).`);
    ctx.status(notes.length ? 'note' : 'ready', notes.join(' '));

    const series = (count: (length: number) => number) => CHART_LENGTHS.map((x) => ({ x, y: count(x) }));
    chart.replaceChildren(
      logLogChart(
        [
          { name: 'standard', className: 'chart-line--1', points: series((x) => totalAccesses(standardHbmAccesses(x, dim))) },
          { name: 'FlashAttention', className: 'chart-line--3', points: series((x) => totalAccesses(flashHbmAccesses(x, dim, m))) },
        ],
        {
          width: Math.max(280, chart.clientWidth),
          xLabel: 'sequence length N',
          yLabel: 'numbers read + written',
          xFormat: shortLength,
          xTicks: [64, 256, 1024, 4096, 16_384, 65_536],
          yFormat: (y) => y.toExponential(0).replace('e+', 'e'),
          markers: [{ x: length, y: totalAccesses(flash), label: `N = ${length.toLocaleString('en-US')}: ${ratio.toFixed(1)}× fewer` }],
          label: `HBM reads and writes of one head against N on log axes, d = ${dim}, M = ${m} numbers: standard grows like N², FlashAttention like N² d² / M; at N = ${length} standard moves ${totalAccesses(standard)} numbers and FlashAttention ${totalAccesses(flash)}.`,
        },
      ),
    );
    const nd = length * dim;
    const nn = length * length;
    fillTable(
      table,
      `Where they come from, N = ${length.toLocaleString('en-US')}, d = ${dim}`,
      ['algorithm', 'step', 'numbers'],
      [
        ['standard', 'read Q, K; write S (line 1)', (2 * nd + nn).toLocaleString('en-US')],
        ['standard', 'read S; write P = softmax(S) (line 2)', (2 * nn).toLocaleString('en-US')],
        ['standard', 'read P, V; write O (line 3)', (nn + 2 * nd).toLocaleString('en-US')],
        ['FlashAttention', 'write O = 0, ℓ = 0, m = −∞ (line 2)', (nd + 2 * length).toLocaleString('en-US')],
        ['FlashAttention', 'read every K and V block once (line 6)', (2 * nd).toLocaleString('en-US')],
        ['FlashAttention', `${passes} × (read Q, O, ℓ, m; write O, ℓ, m) (lines 8–13)`, (passes * (3 * nd + 4 * length)).toLocaleString('en-US')],
      ],
    );
  }

  const bind = (control: ReturnType<typeof slider>, name: keyof State) => {
    control.input.addEventListener('input', () => {
      ctx.setState({ [name]: 2 ** Number(control.input.value) });
      draw();
    }, { signal: ctx.signal });
  };
  bind(n, 'n');
  bind(d, 'd');
  bind(sram, 'sram');
  onWidthChange(chart, ctx.signal, draw);
  draw();
}

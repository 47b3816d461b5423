/**
 * `npm run bench`: how fast the model runs, per environment and backend.
 *
 *   npm run bench                  Node (wasm, cpu) and headless Chromium (webgpu, webgl, wasm, cpu)
 *   npm run bench -- --node-only   Node only (no site build, no browser)
 *   npm run bench -- --dist DIR    serve an existing build instead of building dist/
 *   npm run bench -- --c-only      only the comparison with C (below)
 *   npm run bench -- --sliders-only  only the slider-redraw benchmark (scripts/bench/sliders.ts)
 *
 * For each model (the stories260K fixture, and public/models/glass-llama when it exists) and
 * backend it measures
 *   - load: files read and weights uploaded to the backend, in ms;
 *   - prefill: the prompt's forward pass up to the first generated token, in tokens/s;
 *   - decode: the time between consecutive generated tokens, ms/token (median and p90).
 * The first run is reported apart from the steady state: it pays for shader compilation (WebGPU,
 * WebGL) and first-use costs (wasm memory growth, JIT warm-up).
 * In the browser the times are taken in the page, around the worker (runtime/client.ts), so they
 * include the messages a widget also waits for.
 *
 * Against C: scripts/bench/reference.c (our plain single-threaded C forward of a llama2.c
 * checkpoint) is compiled with `cc -O3` into bench-results/ and decodes greedily from BOS on the
 * stories260K fixture; the engine does the same on the wasm backend in this process. Their tokens
 * must be equal (parity), then the two are timed in alternation (C_SETUP.rounds rounds; each
 * figure is a median decode step) and the medians and the median per-round ratio engine / C are
 * printed: on a machine shared with other work the ratio moves much less than either figure.
 * Without `cc` this part is skipped.
 *
 * Slider redraw (not with --node-only or --c-only): three widgets whose slider needs no model run,
 * driven by key presses in headless Chromium at 1280 px; p50/p95 of the time from the key to the
 * painted frame, see scripts/bench/sliders.ts.
 *
 * Prints a table and writes bench-results/bench.json. Timings are for reading, never asserted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configToJSON } from '../src/llama/config';
import { generate } from '../src/llama/generate';
import { profileDecodeStep } from '../src/llama/inspect';
import { readLlama2c, toRotateHalf } from '../src/llama/llama2c';
import { LlamaModel } from '../src/llama/model';
import { writeSafetensors } from '../src/llama/safetensors';
import type { getRuntime } from '../src/runtime/client';
import { formatSliderResults, measureSlider, SLIDER_SETUP, SLIDER_WIDGETS, type SliderResult } from './bench/sliders';
import { loadModel, NODE_BACKENDS, useNodeBackend } from './load-model';

const REPO_ROOT = resolve(import.meta.dirname, '..');
export const FIXTURE_PATH = resolve(REPO_ROOT, '../shared/fixtures/stories260K.bin');
export const SHIPPED_MODEL_DIR = join(REPO_ROOT, 'public/models/glass-llama');

/** Every run: a 32-token prompt, then 32 greedy tokens. Run 1 is "first", runs 2-4 "steady". */
export const BENCH_SETUP = { promptTokens: 32, newTokens: 32, runs: 4 } as const;

export interface DecodeStats {
  /** Time between consecutive tokens, ms. */
  medianMs: number;
  p90Ms: number;
}

export interface PhaseStats {
  prefillMs: number;
  prefillTokensPerSecond: number;
  decode: DecodeStats;
}

export interface BenchResult {
  environment: 'node' | 'chromium';
  backend: string;
  model: string;
  loadMs: number;
  first: PhaseStats;
  /** Medians of prefill over the steady runs; decode pooled over them. */
  steady: PhaseStats;
  /** Node only: the kernels of one decode step (src/llama/inspect.ts profileDecodeStep). */
  decodeStepProfile?: { kernels: number; kernelMs: number; byName: string };
}

/** When one generation started and when each of its tokens arrived (performance.now() ms). */
export interface RunTimes {
  startMs: number;
  tokenMs: number[];
}

/** The value below which a fraction q of the sorted values lie (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile: no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Prefill = start to first token (the prompt's forward and the first choice); decode = the gaps
 * between tokens (one forward of one token each, with the KV cache).
 */
export function phaseStats(runs: readonly RunTimes[], promptTokens: number): PhaseStats {
  const prefills = runs.map((run) => run.tokenMs[0] - run.startMs);
  const gaps = runs.flatMap((run) => run.tokenMs.slice(1).map((time, i) => time - run.tokenMs[i]));
  const prefillMs = quantile(prefills, 0.5);
  return {
    prefillMs,
    prefillTokensPerSecond: promptTokens / (prefillMs / 1000),
    decode: { medianMs: quantile(gaps, 0.5), p90Ms: quantile(gaps, 0.9) },
  };
}

/** A fixed prompt: <s> then ids spread over the vocabulary. */
export function benchPrompt(vocabSize: number, length: number = BENCH_SETUP.promptTokens): number[] {
  return [1, ...Array.from({ length: length - 1 }, (_, i) => 3 + ((i * 37) % (vocabSize - 3)))];
}

export function summarize(
  environment: BenchResult['environment'],
  backend: string,
  model: string,
  loadMs: number,
  runs: readonly RunTimes[],
): BenchResult {
  const promptTokens = BENCH_SETUP.promptTokens;
  return {
    environment,
    backend,
    model,
    loadMs,
    first: phaseStats(runs.slice(0, 1), promptTokens),
    steady: phaseStats(runs.slice(1), promptTokens),
  };
}

// ------------------------------------------------------------------------------------ Node

/** Load and generate in this Node process, on the backend already started (useNodeBackend). */
export async function benchmarkModel(
  path: string,
  { backend, environment }: { backend: string; environment: 'node' },
): Promise<BenchResult> {
  const loadStart = performance.now();
  const { model } = loadModel(path);
  const loadMs = performance.now() - loadStart;
  try {
    const prompt = benchPrompt(model.config.vocab_size);
    const runs: RunTimes[] = [];
    for (let run = 0; run < BENCH_SETUP.runs; run++) runs.push(await timeGeneration(model, prompt));
    return { ...summarize(environment, backend, path, loadMs, runs), decodeStepProfile: await decodeStepProfile(model, prompt) };
  } finally {
    model.dispose();
  }
}

/** The engine's profile of one decode step after the prompt, summarized for the table. */
async function decodeStepProfile(model: LlamaModel, prompt: number[]): Promise<BenchResult['decodeStepProfile']> {
  const profile = await profileDecodeStep(model, prompt);
  const byName = profile.kernels.map((kernel) => `${kernel.name} ${kernel.count}`).join(', ');
  return { kernels: profile.kernelCount, kernelMs: profile.kernelMs, byName };
}

async function timeGeneration(model: LlamaModel, prompt: number[]): Promise<RunTimes> {
  const tokenMs: number[] = [];
  const startMs = performance.now();
  await generate(model, prompt, {
    maxNewTokens: BENCH_SETUP.newTokens,
    temperature: 0,
    onToken: () => {
      tokenMs.push(performance.now());
    },
  });
  return { startMs, tokenMs };
}

// ------------------------------------------------------------------------------------ against C

/**
 * Each round: one run of the C program (it decodes `repeats` times), then `repeats` generations
 * by the engine (after one warm-up before the first round); both decode `steps` tokens from BOS.
 * A figure is the median time of one decode step (steps 2..steps: the first, from BOS alone, is
 * prefill for the engine), so the preemptions of a loaded machine, which hit the long engine runs
 * more often than the short C runs, do not count.
 */
export const C_SETUP = { steps: 128, rounds: 5, repeats: 3 } as const;

export interface CComparison {
  steps: number;
  rounds: number;
  /** Medians over the rounds of each round's median step, as tokens/s. */
  engineTokensPerSecond: number;
  cTokensPerSecond: number;
  /** Median over the rounds of engine tok/s / C tok/s within the round. */
  ratio: number;
  perRound: { engine: number; c: number; ratio: number }[];
  /** The greedy tokens both produced (checked equal before any timing). */
  tokens: number[];
}

const C_SOURCE = join(REPO_ROOT, 'scripts/bench/reference.c');
const C_BINARY = join(REPO_ROOT, 'bench-results/reference');

/** Compiles the C reference with `cc -O3`; returns why not when there is no compiler. */
export function compileCReference(): { ok: true } | { ok: false; reason: string } {
  if (spawnSync('cc', ['--version']).error) return { ok: false, reason: 'no C compiler (cc) on PATH' };
  mkdirSync(dirname(C_BINARY), { recursive: true });
  execFileSync('cc', ['-O3', '-o', C_BINARY, C_SOURCE, '-lm']);
  return { ok: true };
}

/** Runs the compiled C reference: the seconds of every decode step of every repeat, and its greedy tokens. */
export function runCReference(checkpoint: string, steps: number, repeats: number): { stepSeconds: number[][]; tokens: number[] } {
  const out = execFileSync(C_BINARY, [checkpoint, String(steps), String(repeats)], { encoding: 'utf8' });
  const stepSeconds = [...out.matchAll(/^steps (.*)$/gm)].map((m) => m[1].trim().split(/\s+/).map(Number));
  const tokens = /^tokens (.*)$/m.exec(out)?.[1].trim().split(/\s+/).map(Number) ?? [];
  if (stepSeconds.length !== repeats || stepSeconds.some((run) => run.length !== steps) || tokens.length !== steps) {
    throw new Error(`C reference: unexpected output\n${out}`);
  }
  return { stepSeconds, tokens };
}

/**
 * The engine decodes `steps` greedy tokens from BOS (the first forward is BOS itself, as in C);
 * stepSeconds[i] is the time from token i to token i + 1, one decode step.
 */
async function engineGreedyFromBos(model: LlamaModel, steps: number): Promise<{ stepSeconds: number[]; tokens: number[] }> {
  const arrivals: number[] = [];
  const { newIds } = await generate(model, [1], {
    maxNewTokens: steps,
    temperature: 0,
    onToken: () => {
      arrivals.push(performance.now());
    },
  });
  return { stepSeconds: arrivals.slice(1).map((time, i) => (time - arrivals[i]) / 1000), tokens: newIds };
}

/** Parity first, then C and the engine (on the current backend) timed in alternation. */
export async function compareWithC(checkpoint: string, setup: { steps: number; rounds: number; repeats: number } = C_SETUP): Promise<CComparison> {
  const { model } = loadModel(checkpoint);
  try {
    const engine = await engineGreedyFromBos(model, setup.steps); // also the warm-up
    const c = runCReference(checkpoint, setup.steps, 1);
    if (engine.tokens.join(' ') !== c.tokens.join(' ')) {
      throw new Error(`Parity: the engine's greedy tokens differ from C's\n  engine ${engine.tokens.join(' ')}\n  C      ${c.tokens.join(' ')}`);
    }
    const perRound: CComparison['perRound'] = [];
    for (let round = 0; round < setup.rounds; round++) {
      const cSteps = runCReference(checkpoint, setup.steps, setup.repeats).stepSeconds.flatMap((run) => run.slice(1));
      const engineSteps: number[] = [];
      for (let i = 0; i < setup.repeats; i++) engineSteps.push(...(await engineGreedyFromBos(model, setup.steps)).stepSeconds);
      const cRate = 1 / quantile(cSteps, 0.5);
      const engineRate = 1 / quantile(engineSteps, 0.5);
      perRound.push({ engine: engineRate, c: cRate, ratio: engineRate / cRate });
    }
    return {
      steps: setup.steps,
      rounds: setup.rounds,
      engineTokensPerSecond: quantile(perRound.map((r) => r.engine), 0.5),
      cTokensPerSecond: quantile(perRound.map((r) => r.c), 0.5),
      ratio: quantile(perRound.map((r) => r.ratio), 0.5),
      perRound,
      tokens: c.tokens,
    };
  } finally {
    model.dispose();
  }
}

export function formatCComparison(backend: string, result: CComparison): string {
  const rounds = result.perRound.map((r) => `${r.engine.toFixed(0)}/${r.c.toFixed(0)} = ${r.ratio.toFixed(3)}`).join(', ');
  return [
    `against C (stories260K, greedy from BOS, ${result.steps} tokens; parity: the ${result.tokens.length} tokens are equal; tok/s = 1 / median decode step)`,
    `  engine (node ${backend}) ${result.engineTokensPerSecond.toFixed(0)} tok/s, C -O3 ${result.cTokensPerSecond.toFixed(0)} tok/s, ` +
      `ratio ${result.ratio.toFixed(3)} (median of ${result.rounds} rounds, each engine/C: ${rounds})`,
  ].join('\n');
}

// ------------------------------------------------------------------------------------ Chromium

/** What src/pages/test/runtime.astro puts on window. */
type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

/** Writes a llama2.c checkpoint as a model directory the browser worker can load. */
export function llama2cAsModelDir(binPath: string, outDir: string): void {
  // The worker loads config.json, which has no rope_layout: store the Hugging Face layout.
  const checkpoint = readLlama2c(readFileSync(binPath));
  const { config, weights } = toRotateHalf(checkpoint.config, checkpoint.weights);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'config.json'), JSON.stringify(configToJSON(config)));
  writeFileSync(join(outDir, 'model.safetensors'), writeSafetensors(weights));
}

/**
 * In headless Chromium, through the real runtime: /test/runtime/?backend=NAME, load, then
 * BENCH_SETUP.runs generations timed in the page. A backend that cannot start is reported as
 * skipped with the runtime's reason.
 */
async function benchmarkChromium(
  models: { label: string; path: string }[],
  distDir: string | undefined,
): Promise<{ results: BenchResult[]; skipped: string[] }> {
  const helpers = await import('../tests/e2e/helpers');
  const root = distDir ?? helpers.buildOnce();
  const modelMounts: Record<string, string> = {};
  const served: { label: string; urlPath: string }[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'glass-llama-bench-'));
  // Every model is served from disk at /bench-models/i/ (a llama2.c file converted first), so the
  // benchmark does not depend on which models the build copied.
  for (const [i, model] of models.entries()) {
    const dir = model.path.endsWith('.bin') ? join(scratch, `model-${i}`) : model.path;
    if (model.path.endsWith('.bin')) llama2cAsModelDir(model.path, dir);
    modelMounts[`/bench-models/${i}/`] = dir;
    served.push({ label: model.label, urlPath: `/bench-models/${i}/` });
  }
  const server = await helpers.serveDist({ root, mounts: modelMounts });
  const browser = await helpers.launchChromium({ webgpu: true });
  const site = { openPage: (path: string) => helpers.openPage(browser, server.url, path) };
  const results: BenchResult[] = [];
  const skipped: string[] = [];
  try {
    for (const model of served) {
      for (const backend of BROWSER_BACKENDS) {
        const opened = await site.openPage(`/test/runtime/?backend=${backend}`);
        try {
          const measured = await opened.page.evaluate(
            async ({ modelUrl, setup }) => {
              const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
              const loadStart = performance.now();
              const summary = await runtime.load(modelUrl);
              const loadMs = performance.now() - loadStart;
              const vocab = summary.config.vocab_size;
              const prompt = [1, ...Array.from({ length: setup.promptTokens - 1 }, (_, i) => 3 + ((i * 37) % (vocab - 3)))];
              const runs = [];
              for (let run = 0; run < setup.runs; run++) {
                const tokenMs: number[] = [];
                const startMs = performance.now();
                const tokens = runtime.generate({ ids: prompt, maxNewTokens: setup.newTokens, temperature: 0, ignoreEos: true });
                for await (const _token of tokens) {
                  tokenMs.push(performance.now());
                }
                runs.push({ startMs, tokenMs });
              }
              return { backend: summary.backend, loadMs, runs };
            },
            { modelUrl: model.urlPath, setup: BENCH_SETUP },
          );
          if (measured.backend.name !== backend) {
            skipped.push(`chromium ${backend} on ${model.label}: ${measured.backend.reason}`);
            continue;
          }
          results.push(summarize('chromium', backend, model.label, measured.loadMs, measured.runs));
          console.error(`measured chromium ${backend} on ${model.label}`);
        } finally {
          await opened.close();
        }
      }
    }
  } finally {
    await browser.close();
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return { results, skipped };
}

/** The slider-redraw benchmark (scripts/bench/sliders.ts) on the built site, one embed page per widget. */
async function benchmarkSliders(distDir: string | undefined): Promise<SliderResult[]> {
  const helpers = await import('../tests/e2e/helpers');
  const root = distDir ?? helpers.buildOnce();
  const server = await helpers.serveDist({ root });
  const browser = await helpers.launchChromium({ webgpu: false });
  const results: SliderResult[] = [];
  try {
    for (const { widget, slider } of SLIDER_WIDGETS) {
      const opened = await helpers.openPage(browser, server.url, `/embed/${widget}/`, { viewport: SLIDER_SETUP.viewport });
      try {
        const [started] = await helpers.startAllWidgets(opened.page);
        if (started?.status === 'error') throw new Error(`slider bench: ${widget} failed to draw: ${started.message}`);
        results.push(await measureSlider(opened.page, widget, slider));
        console.error(`measured slider of ${widget}`);
      } finally {
        await opened.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return results;
}

// ------------------------------------------------------------------------------------ report

export function formatBenchTable(results: readonly BenchResult[]): string {
  const header = [
    'env',
    'backend',
    'model',
    'load ms',
    'prefill tok/s first',
    'prefill tok/s steady',
    'decode ms/tok first (median)',
    'decode ms/tok steady median',
    'steady p90',
    'kernels/step (kernel ms)',
  ];
  const rows = results.map((result) => [
    result.environment,
    result.backend,
    result.model.replace(/^.*\/(?=[^/]+\/?$)/, ''),
    result.loadMs.toFixed(0),
    result.first.prefillTokensPerSecond.toFixed(0),
    result.steady.prefillTokensPerSecond.toFixed(0),
    result.first.decode.medianMs.toFixed(2),
    result.steady.decode.medianMs.toFixed(2),
    result.steady.decode.p90Ms.toFixed(2),
    result.decodeStepProfile
      ? `${result.decodeStepProfile.kernels} (${result.decodeStepProfile.kernelMs.toFixed(2)}): ${result.decodeStepProfile.byName}`
      : '',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const nodeOnly = argv.includes('--node-only');
  const cOnly = argv.includes('--c-only');
  const distFlag = argv.indexOf('--dist');
  const distDir = distFlag >= 0 ? resolve(argv[distFlag + 1]) : undefined;
  if (argv.includes('--sliders-only')) {
    console.log(formatSliderResults(await benchmarkSliders(distDir)));
    return;
  }
  let againstC: CComparison | { skipped: string } | undefined;
  const compiled = compileCReference();
  if (compiled.ok) {
    await useNodeBackend('wasm');
    const comparison = await compareWithC(FIXTURE_PATH);
    console.log(formatCComparison('wasm', comparison));
    againstC = comparison;
  } else {
    console.log(`skipped: against C: ${compiled.reason}`);
    againstC = { skipped: compiled.reason };
  }
  if (cOnly) return;
  const models = [{ label: 'stories260K.bin', path: FIXTURE_PATH }];
  if (existsSync(join(SHIPPED_MODEL_DIR, 'model.safetensors'))) {
    models.push({ label: 'glass-llama', path: SHIPPED_MODEL_DIR });
  }
  const results: BenchResult[] = [];
  for (const model of models) {
    for (const backend of NODE_BACKENDS) {
      await useNodeBackend(backend);
      const result = await benchmarkModel(model.path, { backend, environment: 'node' });
      results.push({ ...result, model: model.label });
      console.error(`measured node ${backend} on ${model.label}`);
    }
  }
  let skipped: string[] = [];
  let sliders: SliderResult[] = [];
  if (!nodeOnly) {
    const browser = await benchmarkChromium(models, distDir);
    results.push(...browser.results);
    skipped = browser.skipped;
    sliders = await benchmarkSliders(distDir);
  }
  console.log(formatBenchTable(results));
  for (const line of skipped) console.log(`skipped: ${line}`);
  if (sliders.length > 0) console.log(formatSliderResults(sliders));
  mkdirSync(join(REPO_ROOT, 'bench-results'), { recursive: true });
  const report = { date: new Date().toISOString(), setup: BENCH_SETUP, results, skipped, againstC, sliders };
  writeFileSync(join(REPO_ROOT, 'bench-results/bench.json'), JSON.stringify(report, null, 2));
  console.log('wrote bench-results/bench.json');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(process.argv.slice(2));
}

// npm run lighthouse: Lighthouse's mobile preset (its default: a mid-range phone on a slow 4G
// network, simulated) on the home page and every chapter of the built site, served by
// scripts/preview.mjs as `npm start` serves it (compression, public/_headers). Prints one row per
// page: the performance score and the metrics it is made of. A measuring tool, not a test: the
// figures move with the machine's load, so each page is run several times and the table shows the
// median run and the range of the scores.
//
//   npm run lighthouse [-- --runs 3] [-- --page 02-attention] [-- --build] [-- --json out.json] [-- --details]
//
// --details prints, per run, what blocked the main thread: the long tasks Lighthouse saw (start,
// duration, the script it attributes each to) and the main thread's time by kind of work.
//
// dist/ is built first when it has no index.html (or with --build). Chromium comes from CHROME_PATH,
// else /usr/bin/chromium, headless, with the flags a container running as root needs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { startPreview } from './preview.mjs';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const DIST_DIR = resolve(REPO_ROOT, process.env.GLASS_LLAMA_OUT_DIR || 'dist');

const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '2' },
    page: { type: 'string', multiple: true },
    build: { type: 'boolean', default: false },
    json: { type: 'string' },
    details: { type: 'boolean', default: false },
  },
});
const runs = Number(options.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number of at least 1, got "${options.runs}".`);

/** One Lighthouse run of one page: the score (0-100) and its metrics (ms; CLS unitless). */
interface Run {
  score: number;
  fcp: number;
  lcp: number;
  speedIndex: number;
  tbt: number;
  cls: number;
}

/** The chapter pages of the built site, in reading order (their directories sort that way). */
function pagePaths(): string[] {
  const chapters = readdirSync(join(DIST_DIR, 'chapters'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `/chapters/${entry.name}/`)
    .sort();
  const all = ['/', ...chapters];
  if (!options.page) return all;
  const chosen = all.filter((path) => options.page!.some((page) => path === page || path.includes(`/${page}/`)));
  if (chosen.length === 0) throw new Error(`No built page matches --page ${options.page.join(', ')}; the pages are ${all.join(', ')}.`);
  return chosen;
}

function buildIfNeeded(): void {
  if (!options.build && existsSync(join(DIST_DIR, 'index.html'))) return;
  console.log('Building the site (astro build)...');
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'astro', 'astro.js'), 'build'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
}

/** Flags for headless Chromium in a container: no sandbox as root, no GPU, no calls home. */
function chromeFlags(): string[] {
  const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return [
    '--headless=new',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    ...(runningAsRoot ? ['--no-sandbox'] : []),
  ];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/** The run whose score is the median of the page's runs (its metrics belong together). */
function medianRun(pageRuns: Run[]): Run {
  const sorted = [...pageRuns].sort((a, b) => a.score - b.score || a.fcp - b.fcp);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function measure(url: string, port: number): Promise<Run> {
  const result = await lighthouse(url, { port, onlyCategories: ['performance'], logLevel: 'error', output: 'json' });
  if (!result) throw new Error(`Lighthouse returned no result for ${url}.`);
  const { lhr } = result;
  if (lhr.runtimeError) throw new Error(`Lighthouse could not load ${url}: ${lhr.runtimeError.message}`);
  const metric = (id: string) => {
    const value = lhr.audits[id]?.numericValue;
    if (value === undefined) throw new Error(`Lighthouse gave no ${id} for ${url}.`);
    return value;
  };
  if (options.details) printDetails(url, lhr.audits);
  return {
    score: Math.round((lhr.categories.performance.score ?? 0) * 100),
    fcp: metric('first-contentful-paint'),
    lcp: metric('largest-contentful-paint'),
    speedIndex: metric('speed-index'),
    tbt: metric('total-blocking-time'),
    cls: metric('cumulative-layout-shift'),
  };
}

/** The long tasks and the main thread's work by kind, of one run (--details). */
function printDetails(url: string, audits: Record<string, { details?: unknown }>): void {
  type Items = { items?: Record<string, unknown>[] };
  const items = (id: string) => ((audits[id]?.details ?? {}) as Items).items ?? [];
  const path = new URL(url).pathname;
  console.log(`${path}: long tasks (simulated, ms)`);
  for (const task of items('long-tasks')) {
    console.log(`  at ${Math.round(Number(task.startTime))}  ${Math.round(Number(task.duration))} ms  ${String(task.url).replace(/^https?:\/\/[^/]+/, '')}`);
  }
  console.log(`${path}: main-thread work by kind (ms)`);
  for (const work of items('mainthread-work-breakdown').slice(0, 6)) console.log(`  ${Math.round(Number(work.duration))}  ${String(work.groupLabel ?? work.group)}`);
  console.log(`${path}: script evaluation by file (ms)`);
  for (const script of items('bootup-time').slice(0, 6)) {
    console.log(`  ${Math.round(Number(script.scripting))} scripting, ${Math.round(Number(script.scriptParseCompile))} parse  ${String(script.url).replace(/^https?:\/\/[^/]+/, '')}`);
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function printTable(results: Map<string, Run[]>): void {
  const header = ['page', 'score', 'scores', 'FCP', 'LCP', 'SI', 'TBT', 'CLS'];
  const rows = [...results].map(([path, pageRuns]) => {
    const run = medianRun(pageRuns);
    const scores = pageRuns.map((r) => r.score);
    return [
      path,
      String(run.score),
      scores.join(' '),
      seconds(run.fcp),
      seconds(run.lcp),
      seconds(run.speedIndex),
      `${Math.round(run.tbt)} ms`,
      run.cls.toFixed(3),
    ];
  });
  const widths = header.map((_, column) => Math.max(header[column].length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  console.log(`\nLighthouse ${runs > 1 ? `(median of ${runs} runs per page; "scores" lists every run)` : '(one run per page)'}, mobile preset`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  const medians = rows.map((row) => Number(row[1]));
  console.log(`\nLowest median score ${Math.min(...medians)}; median FCP over all runs ${seconds(median([...results.values()].flat().map((r) => r.fcp)))}.`);
}

buildIfNeeded();
const paths = pagePaths();
const server = await startPreview({ host: '127.0.0.1', port: 0, logLevel: 'error' });
const address = (server as unknown as { server: import('node:http').Server }).server.address() as AddressInfo;
const origin = `http://127.0.0.1:${address.port}`;
const chrome = await chromeLauncher.launch({ chromePath: process.env.CHROME_PATH || '/usr/bin/chromium', chromeFlags: chromeFlags() });
const results = new Map<string, Run[]>();
try {
  for (let round = 0; round < runs; round++) {
    for (const path of paths) {
      const run = await measure(`${origin}${path}`, chrome.port);
      results.set(path, [...(results.get(path) ?? []), run]);
      console.log(`run ${round + 1}/${runs} ${path}: ${run.score} (FCP ${seconds(run.fcp)}, LCP ${seconds(run.lcp)}, TBT ${Math.round(run.tbt)} ms, CLS ${run.cls.toFixed(3)})`);
    }
  }
} finally {
  chrome.kill();
  await server.stop();
}
printTable(results);
if (options.json) writeFileSync(options.json, `${JSON.stringify(Object.fromEntries(results), null, 2)}\n`);

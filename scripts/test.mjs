#!/usr/bin/env node
// `npm test`: every test, in two overlapping stages, each phase timed.
//
//   stage 1: type check   ‖  astro build (with the test pages, for the browser tests)
//   stage 2: unit tests   ‖  browser tests (on that build)
//
// The phases of a stage run at the same time because they leave each other's cores idle: the
// type check is mostly one thread, the browser tests mostly wait on Chromium. (Starting the unit
// tests beside the build instead was measured on the 2-core CI machine: the build, which the
// browser tests wait for, took 125 s instead of 56, and `npm test` 913 s against 881.) Each
// phase's output is printed line by line with its name in front ("[unit] ..."). At the end: one
// line per phase (wall-clock seconds, and CPU seconds of the phase and its children), and the exit
// status is non-zero if any phase failed. A failed build skips the browser tests (counted as a
// failure).
//
//   npm test                          # everything
//   GLASS_LLAMA_SKIP_BUILD=1 npm test # reuse dist/ built with GLASS_LLAMA_TEST_PAGES=1
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Runs one phase; resolves with its name, exit status, wall and CPU seconds. */
function phase(name, command, args, env = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    // A shell wrapper reports the CPU time of the whole process tree (the `time` of bash's `times`).
    const child = spawn('bash', ['-c', '"$@"; status=$?; times >&3; exit $status', 'phase', command, ...args], {
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const prefix = `[${name}] `;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
    }
    let times = '';
    child.stdio[3].on('data', (chunk) => (times += chunk));
    child.on('close', (code) => {
      // `times` prints the shell's own times, then its children's: "0m1.5s 0m0.2s".
      const seconds = (text) => text.split(/\s+/).filter(Boolean).reduce((sum, t) => {
        const match = /^(\d+)m([\d.]+)s$/.exec(t);
        return match ? sum + Number(match[1]) * 60 + Number(match[2]) : sum;
      }, 0);
      const cpu = seconds(times.trim().split('\n').at(-1) ?? '');
      resolve({ name, status: code ?? 1, wall: (performance.now() - started) / 1000, cpu });
    });
  });
}

const skipBuild = process.env.GLASS_LLAMA_SKIP_BUILD === '1';
const started = performance.now();
const results = [];

const [typecheck, build] = await Promise.all([
  phase('typecheck', 'npm', ['run', '--silent', 'typecheck']),
  skipBuild
    ? Promise.resolve(null)
    : phase('build', 'npx', ['astro', 'build'], { GLASS_LLAMA_TEST_PAGES: '1', ASTRO_TELEMETRY_DISABLED: '1' }),
]);
results.push(typecheck);
if (build) results.push(build);

const browserCanRun = !build || build.status === 0;
if (!browserCanRun) console.log('[browser] skipped: the build failed (see [build] above).');
const stage2 = await Promise.all([
  phase('unit', 'npx', ['vitest', 'run', '--project', 'unit']),
  browserCanRun ? phase('browser', 'npx', ['vitest', 'run', '--project', 'browser'], { GLASS_LLAMA_SKIP_BUILD: '1' }) : Promise.resolve(null),
]);
results.push(...stage2.filter(Boolean));

console.log('phases (stage 1: typecheck ‖ build; stage 2: unit ‖ browser):');
for (const { name, status, wall, cpu } of results) {
  console.log(`${name.padEnd(10)} ${wall.toFixed(1).padStart(7)} s wall ${cpu.toFixed(1).padStart(7)} s CPU  (exit ${status})`);
}
const total = (performance.now() - started) / 1000;
console.log(`${'total'.padEnd(10)} ${total.toFixed(1).padStart(7)} s wall`);
const failed = results.some((r) => r.status !== 0) || !browserCanRun;
process.exit(failed ? 1 : 0);

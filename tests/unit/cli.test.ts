import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generate } from '../../src/llama/generate';
import { readLlama2c } from '../../src/llama/llama2c';
import { LlamaModel } from '../../src/llama/model';
import { phaseStats, quantile } from '../../scripts/bench';
import { main, type CliOutput } from '../../scripts/cli';
import { useNodeBackend } from '../../scripts/load-model';
import { tinyTokenizerJSON, writeTinyModel } from '../../scripts/make-tiny-model';
import { Tokenizer } from '../../src/llama/tokenizer';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = resolve(REPO_ROOT, '../shared/fixtures/stories260K.bin');
const BIN = join(REPO_ROOT, 'scripts/glass-llama.mjs');

/** Runs main() in this process and keeps what it printed. */
async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const output: CliOutput = { stdout: (text) => out.push(text), stderr: (text) => err.push(text) };
  const code = await main(argv, output);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

let tinyDir: string;
beforeAll(() => {
  tinyDir = mkdtempSync(join(tmpdir(), 'glass-llama-cli-'));
  writeTinyModel(tinyDir, 5);
});
afterAll(() => rmSync(tinyDir, { recursive: true, force: true }));

describe('glass-llama generate', () => {
  test('npx glass-llama on stories260K.bin, greedy from <s>, prints the engine greedy ids', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [
      BIN,
      'generate',
      '--model',
      FIXTURE,
      '--ids',
      '1',
      '--max-new-tokens',
      '24',
      '--temperature',
      '0',
      '--json',
    ]);
    const printed = JSON.parse(stdout) as { promptIds: number[]; ids: number[]; text?: string };

    await useNodeBackend('wasm');
    const { config, weights } = readLlama2c(readFileSync(FIXTURE));
    const model = LlamaModel.fromWeights(config, weights);
    const greedy = await generate(model, [1], { maxNewTokens: 24, temperature: 0, eosTokenId: 2 });
    model.dispose();

    expect(printed.promptIds).toEqual([1]);
    expect(printed.ids).toEqual(greedy.newIds);
    expect(printed.ids).toHaveLength(24);
    // No tokenizer.json beside a llama2.c checkpoint: no text.
    expect(printed.text).toBeUndefined();
    expect(stderr).toBe('');
  });

  test('on the cpu backend the command prints no tfjs "install our node backend" banner', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [
      BIN, 'generate', '--model', tinyDir, '--ids', '1', '--max-new-tokens', '2', '--temperature', '0', '--backend', 'cpu', '--json',
    ]);
    expect(JSON.parse(stdout).promptIds).toEqual([1]);
    expect(stderr).toBe('');
  });

  test('more new tokens than the context holds: a note on stderr, and generation stops at the context', async () => {
    const { code, stdout, stderr } = await runCli([
      'generate', '--model', tinyDir, '--ids', '1,5,6', '--max-new-tokens', '1000000', '--temperature', '0', '--backend', 'cpu', '--json',
    ]);
    expect(code).toBe(0);
    const context = (JSON.parse(readFileSync(join(tinyDir, 'config.json'), 'utf8')) as { max_position_embeddings: number }).max_position_embeddings;
    expect(stderr).toBe(`glass-llama: note: 3 prompt tokens + 1000000 new tokens pass the model's context of ${context}; generating at most ${context - 3}.`);
    const printed = JSON.parse(stdout) as { ids: number[] };
    expect(printed.ids.length).toBeLessThanOrEqual(context - 3);
  });

  test('--prompt with a tokenizer.json beside the model prints the decoded text', async () => {
    const { code, stdout } = await runCli([
      'generate', '--model', tinyDir, '--prompt', 'Hi there', '--max-new-tokens', '6',
      '--temperature', '0.9', '--top-p', '0.9', '--seed', '11', '--backend', 'cpu', '--json',
    ]);
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { promptIds: number[]; ids: number[]; text: string };
    const tokenizer = Tokenizer.fromJSON(tinyTokenizerJSON());
    expect(printed.promptIds).toEqual(tokenizer.encode('Hi there'));
    expect(printed.ids.length).toBeGreaterThan(0);
    expect(printed.text).toBe(tokenizer.decode(printed.ids));
    // The same seed replays the same sample.
    const again = await runCli([
      'generate', '--model', join(tinyDir, 'model.safetensors'), '--prompt', 'Hi there', '--max-new-tokens', '6',
      '--temperature', '0.9', '--top-p', '0.9', '--seed', '11', '--backend', 'cpu', '--json',
    ]);
    expect(JSON.parse(again.stdout)).toEqual(printed);
  });

  test.each([
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4', '--temperature', '0', '--topk', '3'], "Unknown option '--topk'"],
    [['--ids', '1', '--max-new-tokens', '4', '--temperature', '0'], '--model is required.'],
    [['--model', 'x', '--max-new-tokens', '4', '--temperature', '0'], 'Pass exactly one of --prompt TEXT or --ids 1,2,3.'],
    [['--model', 'x', '--ids', '1', '--prompt', 'a', '--max-new-tokens', '4', '--temperature', '0'], 'Pass exactly one of --prompt TEXT or --ids 1,2,3.'],
    [['--model', 'x', '--ids', '1;2', '--max-new-tokens', '4', '--temperature', '0'], "--ids must be comma-separated token ids like 1,2,3. Received '1;2'."],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '0', '--temperature', '0'], "--max-new-tokens must be a whole number >= 1. Received '0'."],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '0x10', '--temperature', '0'], "--max-new-tokens must be a whole number >= 1. Received '0x10'."],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '1e9', '--temperature', '0'], "--max-new-tokens must be a whole number >= 1. Received '1e9'."],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4', '--temperature', '1', '--seed', '-1'], "--seed must be a whole number from 0 to 4294967295. Received '-1'."],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4', '--temperature', '1', '--seed', '1.5'], "--seed must be a whole number from 0 to 4294967295. Received '1.5'."],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4', '--temperature', '1', '--seed', '1e20'], "--seed must be a whole number from 0 to 4294967295. Received '1e20'."],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4', '--temperature', '0x1'], "--temperature must be a number. Received '0x1'."],
    [['--model', 'x', '--prompt=', '--max-new-tokens', '4', '--temperature', '0'], '--prompt is empty. Give some text, or --ids 1 to start from <s> alone.'],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4', '--temperature', '-1'], '--temperature must be a number >= 0 (0 means greedy). Received -1.'],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4'], '--temperature is required.'],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4', '--temperature', 'hot'], "--temperature must be a number. Received 'hot'."],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4', '--temperature=-1'], '--temperature must be a number >= 0 (0 means greedy). Received -1.'],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4', '--temperature', '1', '--top-k', '0'], '--top-k must be an integer >= 1. Received 0.'],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4', '--temperature', '1', '--top-p', '1.5'], '--top-p must be a number in (0, 1] (1 keeps every token). Received 1.5.'],
    [['--model', 'x', '--ids', '1', '--max-new-tokens', '4', '--temperature', '0', '--backend', 'webgpu'], "--backend must be one of wasm, cpu in Node. Received 'webgpu'."],
  ])('bad flags %j: exit 2 with "%s" and the usage', async (flags, message) => {
    const { code, stderr, stdout } = await runCli(['generate', ...flags]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`glass-llama: ${message}`);
    expect(stderr).toContain('Usage:');
  });

  test('a missing model path fails with exit 1 naming the path', async () => {
    const { code, stderr } = await runCli([
      'generate', '--model', '/nowhere/model', '--ids', '1', '--max-new-tokens', '2', '--temperature', '0',
    ]);
    expect(code).toBe(1);
    expect(stderr).toBe('glass-llama: --model /nowhere/model: no such file or directory.');
  });

  test('--prompt without a tokenizer asks for --ids', async () => {
    const { code, stderr } = await runCli([
      'generate', '--model', FIXTURE, '--prompt', 'Once', '--max-new-tokens', '2', '--temperature', '0',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('glass-llama: --prompt needs a tokenizer.json beside the model; pass --ids instead.');
  });
});

describe('glass-llama', () => {
  test('an unknown command exits 2; --help prints the usage and exits 0', async () => {
    expect(await runCli(['frob'])).toMatchObject({ code: 2 });
    expect((await runCli(['frob'])).stderr).toContain("Unknown command 'frob'. Expected generate or bench.");
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('glass-llama generate --model PATH');
  });

  test('bench --json reports load, prefill and decode for the tiny model', async () => {
    const { code, stdout } = await runCli(['bench', '--model', tinyDir, '--backend', 'cpu', '--json']);
    expect(code).toBe(0);
    const [result] = JSON.parse(stdout);
    expect(result).toMatchObject({ environment: 'node', backend: 'cpu', model: tinyDir });
    for (const value of [result.loadMs, result.first.prefillTokensPerSecond, result.steady.decode.medianMs]) {
      expect(value).toBeGreaterThan(0);
    }
    expect(result.steady.decode.p90Ms).toBeGreaterThanOrEqual(result.steady.decode.medianMs);
  });
});

describe('bench statistics', () => {
  test('quantile takes the nearest rank', () => {
    expect(quantile([30, 10, 20], 0.5)).toBe(20);
    expect(quantile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9)).toBe(90);
    expect(quantile([5], 0.9)).toBe(5);
  });

  test('prefill is start to first token; decode is the gaps between tokens', () => {
    // 32 prompt tokens in 100 ms = 320 tokens/s; gaps 10, 20, 30 ms.
    const stats = phaseStats([{ startMs: 0, tokenMs: [100, 110, 130, 160] }], 32);
    expect(stats).toEqual({ prefillMs: 100, prefillTokensPerSecond: 320, decode: { medianMs: 20, p90Ms: 30 } });
  });
});

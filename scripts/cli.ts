/**
 * `npx glass-llama`: run a model from the command line (bin: scripts/glass-llama.mjs).
 *
 *   glass-llama generate --model PATH (--prompt TEXT | --ids 1,2,3) --max-new-tokens N
 *                        --temperature T [--top-k K] [--top-p P] [--seed S]
 *                        [--backend wasm|cpu] [--json]
 *   glass-llama bench --model PATH [--backend wasm|cpu] [--json]
 *
 * PATH: a model directory, a .safetensors file with config.json beside it, or a llama2.c .bin.
 * Generation stops early after the end-of-text token (included), as in Hugging Face.
 * generate --json prints {"promptIds": [...], "ids": [...generated ids], "text": "..."}; "text"
 * only when a tokenizer.json is beside the model.
 */
import { env } from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { generate } from '../src/llama/generate';
import { validateSamplingOptions, type SamplingOptions } from '../src/llama/sampling';
import { benchmarkModel, formatBenchTable } from './bench';
import { loadModel, NODE_BACKENDS, useNodeBackend, type NodeBackend } from './load-model';

export const USAGE = `Usage:
  glass-llama generate --model PATH (--prompt TEXT | --ids 1,2,3) --max-new-tokens N --temperature T
                       [--top-k K] [--top-p P] [--seed S] [--backend wasm|cpu] [--json]
  glass-llama bench --model PATH [--backend wasm|cpu] [--json]

PATH is a model directory (config.json + .safetensors [+ tokenizer.json]), a .safetensors file
with config.json beside it, or a llama2.c .bin checkpoint. Temperature 0 means greedy.`;

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: CliOutput = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
};

/** A mistake in the command line: printed with the usage, exit code 2. */
class UsageError extends Error {}

/** Runs one command; returns the exit code (0 ok, 1 failed, 2 bad command line). */
export async function main(argv: string[], output: CliOutput = processOutput): Promise<number> {
  // tfjs prints "install our node backend" on first use in Node; @tensorflow/tfjs-node cannot be
  // installed here, and the banner is not for CLI users. PROD silences tfjs's own log lines only.
  env().set('PROD', true);
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === '-h') {
      output.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'generate') await runGenerate(parseGenerateArgs(rest), output);
    else if (command === 'bench') await runBench(parseBenchArgs(rest), output);
    else throw new UsageError(`Unknown command '${command}'. Expected generate or bench.`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    output.stderr(`glass-llama: ${message}`);
    if (error instanceof UsageError) {
      output.stderr(USAGE);
      return 2;
    }
    return 1;
  }
}

// ------------------------------------------------------------------------------------ generate

export interface GenerateArgs {
  model: string;
  prompt: { ids: number[] } | { text: string };
  maxNewTokens: number;
  sampling: SamplingOptions;
  backend: NodeBackend;
  json: boolean;
}

/** The sampling option each flag sets, to name the flag in validation messages. */
const SAMPLING_FLAGS: Record<string, string> = {
  temperature: '--temperature',
  topK: '--top-k',
  topP: '--top-p',
  seed: '--seed',
};

export function parseGenerateArgs(argv: string[]): GenerateArgs {
  const { values } = parseFlags(argv, {
    model: { type: 'string' },
    prompt: { type: 'string' },
    ids: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  const model = requireFlag(values.model, '--model');
  if ((values.prompt === undefined) === (values.ids === undefined)) {
    throw new UsageError('Pass exactly one of --prompt TEXT or --ids 1,2,3.');
  }
  if (values.prompt === '') throw new UsageError('--prompt is empty. Give some text, or --ids 1 to start from <s> alone.');
  const prompt = values.ids !== undefined ? { ids: parseIds(values.ids) } : { text: values.prompt! };
  const maxNewTokens = parseInteger(requireFlag(values['max-new-tokens'], '--max-new-tokens'), '--max-new-tokens', 1);
  const sampling: SamplingOptions = {
    temperature: parseNumber(requireFlag(values.temperature, '--temperature'), '--temperature'),
    ...optionalNumber('topK', values['top-k'], '--top-k'),
    ...optionalNumber('topP', values['top-p'], '--top-p'),
    ...(values.seed === undefined ? {} : { seed: parseInteger(values.seed, '--seed', 0, MAX_SEED) }),
  };
  const problem = validateSamplingOptions(sampling);
  if (problem) {
    const option = problem.split(' ')[0];
    throw new UsageError(problem.replace(option, SAMPLING_FLAGS[option] ?? option));
  }
  return { model, prompt, maxNewTokens, sampling, backend: parseBackend(values.backend), json: values.json ?? false };
}

async function runGenerate(args: GenerateArgs, output: CliOutput): Promise<void> {
  await useNodeBackend(args.backend);
  const { model, tokenizer } = loadModel(args.model);
  try {
    if ('text' in args.prompt && !tokenizer) {
      throw new UsageError(`--prompt needs a tokenizer.json beside the model; pass --ids instead.`);
    }
    const promptIds = 'ids' in args.prompt ? args.prompt.ids : tokenizer!.encode(args.prompt.text);
    const context = model.config.max_position_embeddings;
    if (promptIds.length >= context) {
      throw new Error(`The prompt is ${promptIds.length} tokens; the model's context holds ${context}, which leaves no room for a new token.`);
    }
    if (promptIds.length + args.maxNewTokens > context) {
      output.stderr(
        `glass-llama: note: ${promptIds.length} prompt tokens + ${args.maxNewTokens} new tokens pass the model's context of ${context}; generating at most ${context - promptIds.length}.`,
      );
    }
    // Like Hugging Face, stop after the end-of-text token (it is included in the output).
    const eosTokenId = tokenizer?.eosId ?? model.config.eos_token_id;
    const { newIds } = await generate(model, promptIds, {
      ...args.sampling,
      maxNewTokens: args.maxNewTokens,
      eosTokenId,
    });
    const text = tokenizer ? tokenizer.decode(newIds) : undefined;
    if (args.json) output.stdout(JSON.stringify({ promptIds, ids: newIds, ...(text !== undefined ? { text } : {}) }));
    else output.stdout(text ?? newIds.join(' '));
  } finally {
    model.dispose();
  }
}

// ------------------------------------------------------------------------------------ bench

export interface BenchArgs {
  model: string;
  backends: NodeBackend[];
  json: boolean;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseFlags(argv, {
    model: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  const model = requireFlag(values.model, '--model');
  const backends = values.backend === undefined ? [...NODE_BACKENDS] : [parseBackend(values.backend)];
  return { model, backends, json: values.json ?? false };
}

async function runBench(args: BenchArgs, output: CliOutput): Promise<void> {
  const results = [];
  for (const backend of args.backends) {
    await useNodeBackend(backend);
    results.push(await benchmarkModel(args.model, { backend, environment: 'node' }));
  }
  output.stdout(args.json ? JSON.stringify(results, null, 2) : formatBenchTable(results));
}

// ------------------------------------------------------------------------------------ flags

type FlagSpec = Record<string, { type: 'string' | 'boolean' }>;

/** Seeds are folded to 32 bits by the generator; a larger one would silently equal a smaller one. */
const MAX_SEED = 2 ** 32 - 1;

/** A decimal number as people type it: no hex, no spaces, no Infinity (Number() takes all three). */
const NUMBER_TEXT = /^-?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i;

function parseFlags<Spec extends FlagSpec>(argv: string[], options: Spec) {
  // node:util reads "--temperature -1" as a flag missing its value ("argument is ambiguous");
  // a negative number after a flag that takes a value is that value, so pass it as --flag=-1.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    const next = argv[i + 1];
    if (options[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`${argv[i]}=${next}`);
      i++;
    } else args.push(argv[i]);
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    // node:util's messages ("Unknown option '--topk'") are clear; keep them, mark them as usage.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required.`);
  return value;
}

function parseNumber(value: string, flag: string): number {
  const number = Number(value);
  if (!NUMBER_TEXT.test(value) || !Number.isFinite(number)) {
    throw new UsageError(`${flag} must be a number. Received '${value}'.`);
  }
  return number;
}

/** A whole number in [min, max], written in decimal digits ("16", not "0x10" or "1e1"). */
function parseInteger(value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const number = Number(value);
  if (!/^-?\d+$/.test(value) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${flag} must be a whole number ${range}. Received '${value}'.`);
  }
  return number;
}

function optionalNumber<Key extends string>(key: Key, value: string | undefined, flag: string) {
  return value === undefined ? {} : ({ [key]: parseNumber(value, flag) } as Record<Key, number>);
}

function parseIds(value: string): number[] {
  const ids = value.split(',').map((part) => part.trim());
  if (ids.some((id) => !/^\d+$/.test(id))) {
    throw new UsageError(`--ids must be comma-separated token ids like 1,2,3. Received '${value}'.`);
  }
  return ids.map(Number);
}

function parseBackend(value: string | undefined): NodeBackend {
  if (value === undefined) return 'wasm';
  if ((NODE_BACKENDS as readonly string[]).includes(value)) return value as NodeBackend;
  throw new UsageError(`--backend must be one of ${NODE_BACKENDS.join(', ')} in Node. Received '${value}'.`);
}

// Before and after at its default (the cow prompt, the SFT adapter selected): the SFT reply is what
// the engine writes greedily with the shipped chat-sft-lora adapter attached, and the table gives
// each fine-tune's held-out losses before → after as its training log has them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { generate } from '../../../src/llama/generate';
import { REPO_ROOT } from '../helpers/build';
import { chatSftAdapter } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

const MODEL_DIR = join(REPO_ROOT, 'public', 'models', 'glass-llama');

export const contract: WidgetContract = async ({ widget, engine }) => {
  const loaded = await engine();
  const { model, tokenizer } = loaded;
  const adapter = chatSftAdapter(loaded);
  let newIds: number[];
  try {
    model.attachAdapter(adapter);
    ({ newIds } = await generate(model, tokenizer.encode('[INST] What sound does a cow make? [/INST]'), { maxNewTokens: 40, temperature: 0, eosTokenId: tokenizer.eosId }));
  } finally {
    model.attachAdapter(null);
    adapter.dispose();
  }
  const reply = await widget.locator('.train-output[data-model="sft"]').textContent();
  expect(reply!.replace(/^SFT adapter \(selected\)/, '').trim()).toBe(tokenizer.decode(newIds.filter((id) => id !== tokenizer.eosId)).trim());
  const logs = ['adapters/notes-lora', 'adapters/chat-sft-lora', 'runs/chat-sft-full'].map(
    (run) => JSON.parse(readFileSync(join(MODEL_DIR, run, 'training-log.json'), 'utf8')) as { evalBefore: Record<string, number>; evalAfter: Record<string, number> },
  );
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((row) => row[0])).toEqual(['notes adapter', 'SFT adapter', 'full fine-tune (chat)']);
  expect(rows.map((row) => row.slice(1))).toEqual(logs.map((log) => ['stories', 'notes', 'chat'].map((set) => `${log.evalBefore[set].toFixed(2)} → ${log.evalAfter[set].toFixed(2)}`)));
};

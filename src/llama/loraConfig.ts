/**
 * LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models") without tensors:
 * the adapter's config and the names and shapes of its weights, as Hugging Face PEFT writes them.
 * An adapted projection computes
 *
 *   y = W x + (alpha / r) B A x,   W (out, in) frozen, A (r, in), B (out, r) trained
 *
 * so the update BA has rank at most r. B starts at zero, so training starts from the base model.
 * lora.ts holds the adapter as tensors; reference.ts computes the same sum in float64.
 */
import { headDim, type LlamaConfig } from './config';

/** The projections an adapter may target, by their Hugging Face module names. */
export const LORA_TARGET_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTargetModule = (typeof LORA_TARGET_MODULES)[number];

/** The fields of PEFT's adapter_config.json that change the maths. */
export interface LoraConfig {
  /** rank of the update BA */
  r: number;
  /** the update is scaled by lora_alpha / r */
  lora_alpha: number;
  target_modules: LoraTargetModule[];
}

/** alpha / r, the factor in front of B A x. */
export function loraScale(config: LoraConfig): number {
  return config.lora_alpha / config.r;
}

/**
 * Checks a LoRA config (an adapter_config.json object or options from code). Errors name the
 * field: `LoraConfig.r: received 0, expected a positive integer`. PEFT settings this engine does
 * not implement (bias, dropout, fan_in_fan_out, rslora, DoRA) are refused rather than ignored.
 */
export function parseLoraConfig(json: unknown): LoraConfig {
  if (typeof json !== 'object' || json === null) throw new Error(`LoraConfig: received ${JSON.stringify(json)}, expected an object`);
  const o = json as Record<string, unknown>;
  const fail = (field: string, expected: string): never => {
    throw new Error(`LoraConfig.${field}: received ${JSON.stringify(o[field])}, expected ${expected}`);
  };
  if (!Number.isInteger(o.r) || (o.r as number) < 1) fail('r', 'a positive integer');
  if (typeof o.lora_alpha !== 'number' || !Number.isFinite(o.lora_alpha) || o.lora_alpha <= 0) fail('lora_alpha', 'a positive number');
  const targets = o.target_modules;
  if (!Array.isArray(targets) || targets.length === 0 || targets.some((t) => !(LORA_TARGET_MODULES as readonly unknown[]).includes(t))) {
    fail('target_modules', `a non-empty list of ${LORA_TARGET_MODULES.join(', ')}`);
  }
  if (o.peft_type !== undefined && o.peft_type !== 'LORA') fail('peft_type', '"LORA"');
  if (o.bias !== undefined && o.bias !== 'none') fail('bias', '"none" (adapters with bias terms are not supported)');
  if (o.fan_in_fan_out === true) fail('fan_in_fan_out', 'false (Linear weights are [out, in])');
  if (o.use_rslora === true) fail('use_rslora', 'false (the scale is lora_alpha / r)');
  if (o.use_dora === true) fail('use_dora', 'false (DoRA is not supported)');
  return { r: o.r as number, lora_alpha: o.lora_alpha as number, target_modules: [...new Set(targets as LoraTargetModule[])] };
}

/** The adapter_config.json PEFT writes for this config (a causal LM, no dropout, no bias). */
export function loraConfigToJSON(config: LoraConfig): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: config.r,
    lora_alpha: config.lora_alpha,
    target_modules: config.target_modules,
    lora_dropout: 0,
    bias: 'none',
    fan_in_fan_out: false,
  };
}

/** The base weight a module adapts in layer i: model.layers.i.self_attn.q_proj.weight. */
export function loraBaseWeightName(layer: number, module: LoraTargetModule): string {
  const block = module === 'gate_proj' || module === 'up_proj' || module === 'down_proj' ? 'mlp' : 'self_attn';
  return `model.layers.${layer}.${block}.${module}.weight`;
}

/** PEFT's names: base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight and .lora_B.weight. */
export function loraWeightNames(layer: number, module: LoraTargetModule): { a: string; b: string } {
  const path = `base_model.model.${loraBaseWeightName(layer, module).replace(/\.weight$/, '')}`;
  return { a: `${path}.lora_A.weight`, b: `${path}.lora_B.weight` };
}

/** [out, in] of a target module's base weight. */
function moduleShape(model: LlamaConfig, module: LoraTargetModule): [number, number] {
  const hidden = model.hidden_size;
  const q = model.num_attention_heads * headDim(model);
  const kv = model.num_key_value_heads * headDim(model);
  const ffn = model.intermediate_size;
  const shapes: Record<LoraTargetModule, [number, number]> = {
    q_proj: [q, hidden],
    k_proj: [kv, hidden],
    v_proj: [kv, hidden],
    o_proj: [hidden, q],
    gate_proj: [ffn, hidden],
    up_proj: [ffn, hidden],
    down_proj: [hidden, ffn],
  };
  return shapes[module];
}

export interface LoraPairShape {
  layer: number;
  module: LoraTargetModule;
  /** the base weight it adapts */
  base: string;
  a: { name: string; shape: [number, number] }; // (r, in)
  b: { name: string; shape: [number, number] }; // (out, r)
}

/** Every (A, B) pair an adapter holds for a model, layer by layer, in target_modules order. */
export function loraPairs(model: LlamaConfig, lora: LoraConfig): LoraPairShape[] {
  const pairs: LoraPairShape[] = [];
  for (let layer = 0; layer < model.num_hidden_layers; layer++) {
    for (const module of lora.target_modules) {
      const [out, inputs] = moduleShape(model, module);
      const names = loraWeightNames(layer, module);
      pairs.push({
        layer,
        module,
        base: loraBaseWeightName(layer, module),
        a: { name: names.a, shape: [lora.r, inputs] },
        b: { name: names.b, shape: [out, lora.r] },
      });
    }
  }
  return pairs;
}

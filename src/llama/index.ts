/** The Glass Llama engine: config, weights, the tfjs forward, LoRA adapters, the KV cache and generation. */
export * from './config';
export * from './weights';
export * from './safetensors';
export * from './llama2c';
export * from './rope';
export * from './attention';
export * from './taps';
export * from './kvcache';
export * from './model';
export * from './generate';
export * from './loraConfig';
export * from './lora';
export * from './math';
export * from './tensorMath';
export * from './inspect';

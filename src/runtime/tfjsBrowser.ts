/**
 * "@tensorflow/tfjs" as the site's bundles see it (astro.config.mjs aliases the package name to
 * this file): tfjs-core, plus the two things the union package adds to it that the engine needs,
 * the gradient of every op (training, LoRA, the data-parallel ranks) and the chained ops
 * (`tensor.add(...)`). Left out: tfjs-layers, -converter and -data, which nothing here uses, and
 * the cpu and webgl backends, which src/runtime/backend.ts imports when it tries them. That takes
 * the model worker's script from 1.7 MB to 0.6 MB, downloaded and compiled on every page with a
 * live figure.
 *
 * Node (tests, scripts) imports the real package: its CommonJS build registers the gradients on
 * the same tfjs-core that the rest of Node's code gets, which these ES-module paths would not.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';

export * from '@tensorflow/tfjs-core';

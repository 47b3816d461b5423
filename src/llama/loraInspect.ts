/**
 * A look inside a trained LoRA adapter (the LoRA chapter's update inspector): the update
 * ΔW = (alpha / r) B A of one projection, its singular values (at most r of them are not zero),
 * and what it does to that projection's output for one token of a prompt:
 *
 *   y = W x + ΔW x,   W (out, in), A (r, in), B (out, r), x (in)
 *
 * The singular values come from the r × r core of the product, never from the full (out, in)
 * matrix: B = Q_B R_B and Aᵀ = Q_A R_A (Gram-Schmidt, Q with orthonormal columns), so
 * B A = Q_B (R_B R_Aᵀ) Q_Aᵀ has the singular values of the r × r matrix R_B R_Aᵀ.
 * All arithmetic here is float64 on plain arrays.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoraTargetModule } from './loraConfig';
import { loraBaseWeightName, loraWeightNames } from './loraConfig';
import type { LlamaModel } from './model';
import { layerTap, type TapName } from './taps';

/**
 * Q R of a (rows, cols) row-major matrix with rows >= cols, by modified Gram-Schmidt: returns R
 * (cols, cols), upper triangular. A column that depends on the earlier ones gets a zero row in R.
 */
export function gramSchmidtR(m: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const q = Array.from({ length: cols }, (_, j) => Float64Array.from({ length: rows }, (_, i) => m[i * cols + j]));
  const r = new Float64Array(cols * cols);
  let scaleOfInput = 0;
  for (const column of q) scaleOfInput = Math.max(scaleOfInput, Math.hypot(...column));
  for (let j = 0; j < cols; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += q[k][i] * q[j][i];
      r[k * cols + j] = dot;
      for (let i = 0; i < rows; i++) q[j][i] -= dot * q[k][i];
    }
    const norm = Math.hypot(...q[j]);
    if (norm <= 1e-14 * scaleOfInput) {
      q[j].fill(0);
      continue; // r[j][j] = 0: column j adds no direction
    }
    r[j * cols + j] = norm;
    for (let i = 0; i < rows; i++) q[j][i] /= norm;
  }
  return r;
}

/**
 * Singular values of a small (n, n) row-major matrix, largest first, by one-sided Jacobi
 * rotations (Hestenes): rotate column pairs until every pair is orthogonal; the column norms are
 * then the singular values.
 */
export function smallSingularValues(c: ArrayLike<number>, n: number): number[] {
  const u = Array.from({ length: n }, (_, j) => Float64Array.from({ length: n }, (_, i) => c[i * n + j]));
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < n; i++) {
          alpha += u[p][i] ** 2;
          beta += u[q][i] ** 2;
          gamma += u[p][i] * u[q][i];
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cos = 1 / Math.sqrt(1 + t * t);
        const sin = cos * t;
        for (let i = 0; i < n; i++) {
          const up = u[p][i];
          const uq = u[q][i];
          u[p][i] = cos * up - sin * uq;
          u[q][i] = sin * up + cos * uq;
        }
      }
    }
    if (!rotated) break;
  }
  return u.map((column) => Math.hypot(...column)).sort((x, y) => y - x);
}

/**
 * The r singular values of scale · B A, largest first: B (out, r), A (r, in), both row-major.
 * Only r of the min(out, in) singular values of the product can be non-zero.
 */
export function lowRankSingularValues(b: ArrayLike<number>, a: ArrayLike<number>, out: number, r: number, inputs: number, scale = 1): number[] {
  if (b.length !== out * r || a.length !== r * inputs) throw new Error(`lowRankSingularValues: B has ${b.length} values and A ${a.length}; (${out}, ${r}) and (${r}, ${inputs}) need ${out * r} and ${r * inputs}`);
  const rB = gramSchmidtR(b, out, r); // B = Q_B R_B
  const aT = new Float64Array(inputs * r);
  for (let k = 0; k < r; k++) for (let i = 0; i < inputs; i++) aT[i * r + k] = a[k * inputs + i];
  const rA = gramSchmidtR(aT, inputs, r); // Aᵀ = Q_A R_A
  const core = new Float64Array(r * r); // R_B R_Aᵀ
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      let sum = 0;
      for (let k = 0; k < r; k++) sum += rB[i * r + k] * rA[j * r + k];
      core[i * r + j] = sum;
    }
  }
  return smallSingularValues(core, r).map((value) => value * Math.abs(scale));
}

/**
 * How many singular values count, the way numerical libraries decide a matrix's rank
 * (numpy.linalg.matrix_rank): above σ_max · max(out, in) · ε, with ε the float32 epsilon the
 * weights are stored in.
 */
export function numericalRank(singularValues: readonly number[], out: number, inputs: number): number {
  const largest = Math.max(0, ...singularValues);
  const tolerance = largest * Math.max(out, inputs) * 2 ** -23;
  return singularValues.filter((value) => value > tolerance).length;
}

export interface LoraUpdateInspection {
  layer: number;
  module: LoraTargetModule;
  /** [out, in] of W and of ΔW */
  shape: [number, number];
  r: number;
  /** alpha / r */
  scale: number;
  /** of ΔW = scale · B A, largest first: r values */
  singularValues: number[];
  /** singular values above the float32 tolerance (numericalRank) */
  rank: number;
  /** ‖ΔW‖_F and ‖W‖_F */
  updateNorm: number;
  weightNorm: number;
  /** The token whose projection is shown, and the prompt's ids. */
  position: number;
  inputIds: number[];
  /** x, the projection's input at that token [in] */
  input: number[];
  /** A x: the r numbers the update passes through */
  down: number[];
  /** W x and ΔW x = scale · B (A x), [out] each; the adapted output is their sum */
  baseOutput: number[];
  updateOutput: number[];
}

/** The tap whose value is a module's input x, or null when x is not a tap (o_proj: the heads' outputs before it). */
export function projectionInputTap(layer: number, module: LoraTargetModule): TapName | null {
  if (module === 'q_proj' || module === 'k_proj' || module === 'v_proj') return layerTap(layer, 'input_norm');
  if (module === 'gate_proj' || module === 'up_proj') return layerTap(layer, 'post_attention_norm');
  return null;
}

/**
 * Inspects the adapter attached to `model` at one layer and module, for the prompt `ids` at
 * `position` (default: the last token). down_proj's input is act(gate) · up, from two taps.
 */
export function inspectLoraUpdate(model: LlamaModel, ids: number[], layer: number, module: LoraTargetModule, position = ids.length - 1): LoraUpdateInspection {
  const adapter = model.adapter;
  if (!adapter) throw new Error('This session has no LoRA adapter to inspect (attach or load one first).');
  const layers = model.config.num_hidden_layers;
  if (!Number.isInteger(layer) || layer < 0 || layer >= layers) throw new Error(`layer must be a whole number from 0 to ${layers - 1}. Received ${layer}.`);
  if (!adapter.config.target_modules.includes(module)) {
    throw new Error(`The adapter does not adapt ${module}; it adapts ${adapter.config.target_modules.join(', ')}.`);
  }
  if (module === 'o_proj') throw new Error('The inspector cannot show o_proj: its input (the heads before the output projection) is not a tap.');
  if (ids.length === 0) throw new Error('The prompt has no tokens.');
  if (!Number.isInteger(position) || position < 0 || position >= ids.length) throw new Error(`position must be a whole number from 0 to ${ids.length - 1}. Received ${position}.`);

  const names = loraWeightNames(layer, module);
  const a = adapter.params.get(names.a)!.dataSync(); // (r, in)
  const b = adapter.params.get(names.b)!.dataSync(); // (out, r)
  const weight = model.params.get(loraBaseWeightName(layer, module))!;
  const [out, inputs] = weight.shape as [number, number];
  const w = weight.dataSync(); // (out, in)
  const r = adapter.config.r;
  const scale = adapter.scale;

  const x = projectionInput(model, ids, layer, module, position, inputs);
  const down = Array.from({ length: r }, (_, k) => {
    let sum = 0;
    for (let i = 0; i < inputs; i++) sum += a[k * inputs + i] * x[i];
    return sum;
  });
  const baseOutput: number[] = [];
  const updateOutput: number[] = [];
  let weightSquares = 0;
  let updateSquares = 0;
  for (let o = 0; o < out; o++) {
    let base = 0;
    for (let i = 0; i < inputs; i++) {
      base += w[o * inputs + i] * x[i];
      weightSquares += w[o * inputs + i] ** 2;
      let delta = 0;
      for (let k = 0; k < r; k++) delta += b[o * r + k] * a[k * inputs + i];
      updateSquares += (scale * delta) ** 2;
    }
    let update = 0;
    for (let k = 0; k < r; k++) update += b[o * r + k] * down[k];
    baseOutput.push(base);
    updateOutput.push(scale * update);
  }
  const singularValues = lowRankSingularValues(b, a, out, r, inputs, scale);
  return {
    layer,
    module,
    shape: [out, inputs],
    r,
    scale,
    singularValues,
    rank: numericalRank(singularValues, out, inputs),
    updateNorm: Math.sqrt(updateSquares),
    weightNorm: Math.sqrt(weightSquares),
    position,
    inputIds: ids,
    input: Array.from(x),
    down,
    baseOutput,
    updateOutput,
  };
}

/** The input x (in) of a module at one position, as the adapted model computes it. */
function projectionInput(model: LlamaModel, ids: number[], layer: number, module: LoraTargetModule, position: number, inputs: number): Float64Array {
  const tap = projectionInputTap(layer, module);
  const wanted: TapName[] = tap ? [tap] : [layerTap(layer, 'mlp.act'), layerTap(layer, 'mlp.up')];
  const row = tf.tidy(() => {
    const { taps } = model.forward(tf.tensor2d([ids], undefined, 'int32'), { taps: wanted, embeddingLookup: 'gather' });
    // down_proj reads act(gate) · up; the others read their tap: [1, seq, in]
    const input = tap ? taps.get(tap)! : tf.mul(taps.get(wanted[0])!, taps.get(wanted[1])!);
    return tf.slice(input.reshape([ids.length, inputs]), [position, 0], [1, inputs]);
  });
  const x = Float64Array.from(row.dataSync());
  row.dispose();
  return x;
}

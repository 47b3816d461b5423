/**
 * Taps: named intermediate tensors a forward pass can hand back, so a widget can show what the
 * model computed without reaching into it. Ask for a tap by name in `forward({ taps })`; tensors
 * nobody asked for are freed as usual. Shapes (B = batch, S = new tokens in this call, T = all key
 * positions = cached + new, H = query heads, KV = key/value heads, d = head_dim, F = intermediate):
 *
 *   embed                         [B, S, hidden]  token embeddings
 *   layers.N.input_norm           [B, S, hidden]  RMSNorm before attention
 *   layers.N.attn.q               [B, H, S, d]    queries before RoPE
 *   layers.N.attn.k               [B, KV, S, d]   keys before RoPE (new tokens only)
 *   layers.N.attn.v               [B, KV, S, d]   values (new tokens only)
 *   layers.N.attn.q_rotated       [B, H, S, d]    queries after RoPE
 *   layers.N.attn.k_rotated       [B, KV, S, d]   keys after RoPE (new tokens only)
 *   layers.N.attn.scores          [B, H, S, T]    q.k / sqrt(d), masked entries = -Infinity (pre-softmax)
 *   layers.N.attn.probs           [B, H, S, T]    softmax of the scores; masked entries exactly 0,
 *                                                 a fully masked row (a padding query) is all 0
 *   layers.N.attn.out             [B, S, hidden]  attention output after o_proj
 *   layers.N.attn_residual        [B, S, hidden]  layer input + attention output
 *   layers.N.post_attention_norm  [B, S, hidden]  RMSNorm before the MLP
 *   layers.N.mlp.gate             [B, S, F]       gate_proj x
 *   layers.N.mlp.up               [B, S, F]       up_proj x
 *   layers.N.mlp.act              [B, S, F]       act(gate_proj x), before the product with up
 *   layers.N.mlp.out              [B, S, hidden]  down_proj(act(gate) * up)
 *   layers.N.out                  [B, S, hidden]  layer output (attn_residual + mlp.out)
 *   final_norm                    [B, S, hidden]  the last RMSNorm
 *   logits                        [B, S, vocab]
 */

export const LAYER_TAPS = [
  'input_norm',
  'attn.q',
  'attn.k',
  'attn.v',
  'attn.q_rotated',
  'attn.k_rotated',
  'attn.scores',
  'attn.probs',
  'attn.out',
  'attn_residual',
  'post_attention_norm',
  'mlp.gate',
  'mlp.up',
  'mlp.act',
  'mlp.out',
  'out',
] as const;
export type LayerTap = (typeof LAYER_TAPS)[number];

export const MODEL_TAPS = ['embed', 'final_norm', 'logits'] as const;

export type TapName = (typeof MODEL_TAPS)[number] | `layers.${number}.${LayerTap}`;

/** The full name of a per-layer tap: layerTap(2, 'attn.probs') === 'layers.2.attn.probs'. */
export function layerTap(layer: number, tap: LayerTap): TapName {
  return `layers.${layer}.${tap}`;
}

/** Every tap a model with numLayers layers offers. */
export function allTapNames(numLayers: number): TapName[] {
  const names: TapName[] = ['embed'];
  for (let i = 0; i < numLayers; i++) for (const tap of LAYER_TAPS) names.push(layerTap(i, tap));
  names.push('final_norm', 'logits');
  return names;
}

/** Throws "Received ... Expected ..." for a name that is not a tap of this model. */
export function checkTapNames(names: readonly string[], numLayers: number): void {
  const known = new Set<string>(allTapNames(numLayers));
  for (const name of names) {
    if (!known.has(name)) {
      throw new Error(
        `Unknown tap: received "${name}". Expected one of ${MODEL_TAPS.join(', ')} or layers.N.<${LAYER_TAPS.join('|')}> with N < ${numLayers}`,
      );
    }
  }
}

/**
 * The tfjs versions of math.ts's per-token loss: log-probabilities of the target tokens for a
 * whole batch at once, differentiable. The training loss (train.ts) and per-token losses shown on
 * a page both start here. Softmax itself is tf.softmax / tf.logSoftmax.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * log softmax(logits[b, t])[targets[b, t]] for every position.
 * logits [batch, seq, vocab], targets [batch, seq] int32 -> [batch, seq].
 */
export function targetLogProbs(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits); // [batch, seq, vocab]
    // A one-hot product rather than a gather: its gradient exists on every backend (wasm has no
    // gradient for gather).
    const targetOneHot = tf.oneHot(tf.cast(targets, 'int32'), logits.shape[2]); // [batch, seq, vocab]
    return tf.sum(tf.mul(logProbs, targetOneHot), -1) as tf.Tensor2D;
  });
}

/** The next-token loss -log p(target) per position, in nats: logits [batch, seq, vocab], targets [batch, seq] -> [batch, seq]. */
export function tokenLosses(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.neg(targetLogProbs(logits, targets)));
}

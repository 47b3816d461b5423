// The glossary: one line per term, and the chapter section that explains it. The glossary page
// (/glossary/) lists them; in every chapter the first use of a term links to its entry, with the
// definition as a tooltip (src/glossary/rehypeGlossary.mjs). Links are checked at build.
//
// `match`: the phrases that count as a use of the term in prose (whole words; case-insensitive
// unless `caseSensitive`, for acronyms such as RoPE or MLP).

export interface GlossaryTerm {
  /** The anchor on the glossary page: /glossary/#<id>. */
  id: string;
  term: string;
  /** One line, plain text. */
  definition: string;
  /** Where it is explained: a chapter id and, optionally, a section's #id. */
  chapter: string;
  section?: string;
  match: string[];
  caseSensitive?: boolean;
}

export const GLOSSARY: GlossaryTerm[] = [
  { id: 'attention-mask', term: 'attention mask', definition: 'A 0/1 mark per token of a padded batch: 1 for real tokens, 0 for padding the model must not look at.', chapter: '04-padding-side', section: 'the-attention-mask', match: ['attention mask'] },
  { id: 'beam-search', term: 'beam search', definition: 'Decoding that keeps the B most likely partial sequences at every step instead of one.', chapter: '07-decoding', section: 'greedy-and-beam-search', match: ['beam search'] },
  { id: 'causal-mask', term: 'causal mask', definition: 'Sets the attention scores of later positions to minus infinity, so each position sees only itself and what came before.', chapter: '02-attention', section: 'the-causal-mask', match: ['causal mask'] },
  { id: 'distinct-n', term: 'distinct-n', definition: 'The number of distinct runs of n tokens in a text divided by the number of all such runs; low means repetitive.', chapter: '07-decoding', section: 'degeneration', match: ['distinct-n'] },
  { id: 'dropout', term: 'dropout', definition: 'During training, zeroes each value with probability p and scales the rest by 1/(1 − p); off in eval mode.', chapter: '05-eval-and-dropout', section: 'inverted-dropout', match: ['dropout'] },
  { id: 'gelu', term: 'GELU', definition: 'The activation x·Φ(x), with Φ the standard normal distribution function; used by BERT and GPT-2.', chapter: '06-swish-silu-swiglu', section: 'relu-gelu-and-silu-compared', match: ['GELU'], caseSensitive: true },
  { id: 'greedy-decoding', term: 'greedy decoding', definition: 'Takes the most likely next token at every step.', chapter: '07-decoding', section: 'greedy-and-beam-search', match: ['greedy decoding', 'greedy'] },
  { id: 'grouped-query-attention', term: 'grouped-query attention (GQA)', definition: 'Attention in which groups of query heads share one key and value head, which shrinks the KV cache.', chapter: '02-attention', section: 'many-heads-and-heads-that-share-keys', match: ['grouped-query attention', 'GQA'] },
  { id: 'head', term: 'attention head', definition: 'One of the parallel attention computations of a layer, each with its own query, key and value projections.', chapter: '02-attention', section: 'many-heads-and-heads-that-share-keys', match: ['attention head', 'attention heads'] },
  { id: 'kv-cache', term: 'KV cache', definition: 'The keys and values of the tokens already read, kept so that each new token needs only its own.', chapter: '10-generate-kv-cache', section: 'the-kv-cache', match: ['KV cache'], caseSensitive: true },
  { id: 'prefill', term: 'prefill', definition: 'The first forward pass of generation, over the whole prompt at once, which fills the KV cache.', chapter: '10-generate-kv-cache', section: 'prefill-and-decode', match: ['prefill'] },
  { id: 'paged-attention', term: 'PagedAttention', definition: 'Keeps each request’s KV cache in fixed-size blocks found through a block table, as virtual memory does (vLLM).', chapter: '10-generate-kv-cache', section: 'serving-many-requests', match: ['PagedAttention'], caseSensitive: true },
  { id: 'byte-fallback', term: 'byte fallback', definition: 'A tokenizer writes a character it has no piece for as the pieces of its UTF-8 bytes, so no text is ever unknown.', chapter: '08-tokens', section: 'text-to-ids', match: ['byte fallback'] },
  { id: 'embedding', term: 'embedding', definition: 'The matrix with one learned row per vocabulary piece; a token’s embedding is its row, the model’s first hidden state.', chapter: '08-tokens', section: 'one-row-per-piece-the-embedding', match: ['embedding matrix', 'embedding'] },
  { id: 'residual-stream', term: 'residual stream', definition: 'The hidden state that every layer reads and adds its output to, from the embedding to the final norm.', chapter: '09-anatomy', section: 'the-residual-stream-and-the-logit-lens', match: ['residual stream'] },
  { id: 'logit-lens', term: 'logit lens', definition: 'Reading an intermediate residual through the final norm and output layer, to see the model’s guess forming layer by layer.', chapter: '09-anatomy', section: 'the-residual-stream-and-the-logit-lens', match: ['logit lens'] },
  { id: 'rmsnorm', term: 'RMSNorm', definition: 'Divides a vector by the root of its mean square (plus a small epsilon) and scales it by learned weights; no mean is subtracted.', chapter: '09-anatomy', section: 'one-forward-pass', match: ['RMSNorm'], caseSensitive: true },
  { id: 'flop', term: 'FLOP', definition: 'One floating-point operation; a matrix product of m × k by k × n takes 2mkn (a multiply and an add each).', chapter: '11-flops', section: 'counting-a-matrix-product', match: ['FLOPs', 'FLOP'], caseSensitive: true },
  { id: 'mfu', term: 'MFU (model FLOPs utilisation)', definition: 'The FLOPs a run’s model needs per second, divided by the hardware’s peak.', chapter: '11-flops', section: 'peak-and-utilisation', match: ['MFU', 'model FLOPs utilisation'], caseSensitive: true },
  { id: 'data-parallelism', term: 'data parallelism', definition: 'Training on K devices that each hold the whole model and a shard of every batch, and average their gradients every step.', chapter: '14-data-parallel', section: 'one-model-many-copies', match: ['data parallelism', 'data-parallel'] },
  { id: 'all-reduce', term: 'all-reduce', definition: 'A collective operation after which every rank holds the sum (or mean) of all ranks’ arrays; data parallelism all-reduces the gradients.', chapter: '14-data-parallel', section: 'one-model-many-copies', match: ['all-reduce', 'all-reduces', 'all-reduced'] },
  { id: 'global-batch', term: 'global batch', definition: 'The samples one optimizer step averages over: micro-batch × devices × gradient-accumulation steps.', chapter: '14-data-parallel', section: 'one-model-many-copies', match: ['global batch'] },
  { id: 'zero', term: 'ZeRO', definition: 'Data parallelism that shards the optimizer states (stage 1), also the gradients (stage 2) and also the weights (stage 3) across the ranks; FSDP is stage 3.', chapter: '14-data-parallel', section: 'beyond-data-parallelism', match: ['ZeRO', 'FSDP'], caseSensitive: true },
  { id: 'tensor-parallelism', term: 'tensor parallelism', definition: 'Splits each weight matrix of a layer over several devices, which all-reduce the activations inside every layer.', chapter: '14-data-parallel', section: 'beyond-data-parallelism', match: ['tensor parallelism'] },
  { id: 'pipeline-parallelism', term: 'pipeline parallelism', definition: 'Gives each device a run of consecutive layers and streams micro-batches through them.', chapter: '14-data-parallel', section: 'beyond-data-parallelism', match: ['pipeline parallelism'] },
  { id: 'nbce', term: 'NBCE (naive Bayes-based context extension)', definition: 'Reads a long context as chunks, each with the question, and pools the chunks’ next-token distributions: (β + 1) · pool log p(T | chunk) − β · log p(T).', chapter: '17-long-context', section: 'the-formula', match: ['NBCE'], caseSensitive: true },
  { id: 'naive-bayes-assumption', term: 'naive Bayes assumption', definition: 'That pieces of evidence are independent once the answer is known, so their likelihoods multiply.', chapter: '17-long-context', section: 'the-formula', match: ['naive Bayes assumption'] },
  { id: 'arithmetic-intensity', term: 'arithmetic intensity', definition: 'FLOPs done per byte moved from memory; below a device’s ridge point a computation is memory-bound.', chapter: '11-flops', section: 'arithmetic-intensity-and-the-roofline', match: ['arithmetic intensity'] },
  { id: 'roofline', term: 'roofline', definition: 'A chart of attainable FLOP/s against arithmetic intensity, capped by memory bandwidth and by peak compute.', chapter: '11-flops', section: 'arithmetic-intensity-and-the-roofline', match: ['roofline'] },
  { id: 'left-padding', term: 'left padding', definition: 'Putting the pad tokens of a batch before each row’s text, so that the last column is every row’s last real token.', chapter: '04-padding-side', section: 'which-logits-does-generate-read', match: ['left padding'] },
  { id: 'logit', term: 'logit', definition: 'The raw score a model gives each vocabulary entry for the next position; softmax turns logits into probabilities.', chapter: '07-decoding', match: ['logits', 'logit'] },
  { id: 'min-p', term: 'min-p sampling', definition: 'Keeps the tokens whose probability is at least p_min times the largest one.', chapter: '07-decoding', section: 'truncation-top-k-top-p-min-p-typical', match: ['min-p'] },
  { id: 'mlp', term: 'MLP (feed-forward block)', definition: 'The small network applied to each position on its own at the end of every layer; in Llama, a SwiGLU.', chapter: '06-swish-silu-swiglu', section: 'gating-swiglu', match: ['MLP'], caseSensitive: true },
  { id: 'position-ids', term: 'position ids', definition: 'The position number given to each token, from which RoPE computes its rotation.', chapter: '04-padding-side', section: 'position-ids-from-the-mask', match: ['position ids'] },
  { id: 'position-interpolation', term: 'position interpolation', definition: 'Divides every position by a factor s so that a longer text’s angles stay inside the trained range.', chapter: '03-rope', section: 'beyond-the-training-context', match: ['position interpolation'] },
  { id: 'ntk-aware-scaling', term: 'NTK-aware scaling', definition: 'Raises RoPE’s base so that the slow pairs are stretched and the fast ones stay as trained.', chapter: '03-rope', section: 'beyond-the-training-context', match: ['NTK-aware scaling', 'NTK-aware'], caseSensitive: true },
  { id: 'relu', term: 'ReLU', definition: 'The activation max(0, x): zero, with zero gradient, for every negative input.', chapter: '06-swish-silu-swiglu', section: 'relu-gelu-and-silu-compared', match: ['ReLU'], caseSensitive: true },
  { id: 'repetition-penalty', term: 'repetition penalty', definition: 'Makes every token already in the text less likely: positive logits divided by θ, negative ones multiplied.', chapter: '07-decoding', section: 'the-repetition-penalty', match: ['repetition penalty'] },
  { id: 'rope', term: 'RoPE (rotary position embeddings)', definition: 'Gives attention positions by rotating pairs of query and key coordinates by angles that grow with position.', chapter: '03-rope', match: ['RoPE', 'rotary position embeddings'], caseSensitive: true },
  { id: 'silu', term: 'SiLU', definition: 'The activation x·σ(x): Swish with β = 1, smooth, with a small dip below zero.', chapter: '06-swish-silu-swiglu', section: 'swish-and-silu', match: ['SiLU'], caseSensitive: true },
  { id: 'softmax', term: 'softmax', definition: 'Turns scores into probabilities: the exponential of each, divided by the sum of all.', chapter: '02-attention', section: 'queries-keys-and-values', match: ['softmax'] },
  { id: 'swiglu', term: 'SwiGLU', definition: 'Llama’s gated MLP: down(silu(gate·x) ⊙ up·x).', chapter: '06-swish-silu-swiglu', section: 'gating-swiglu', match: ['SwiGLU'], caseSensitive: true },
  { id: 'swish', term: 'Swish', definition: 'The activation x·σ(βx); β = 1 is SiLU, β → ∞ tends to ReLU.', chapter: '06-swish-silu-swiglu', section: 'swish-and-silu', match: ['Swish'], caseSensitive: true },
  { id: 'temperature', term: 'temperature', definition: 'Divides the logits before the softmax: below 1 sharpens the distribution, above 1 flattens it, 0 means greedy.', chapter: '07-decoding', section: 'sampling-and-temperature', match: ['temperature'] },
  { id: 'top-k', term: 'top-k sampling', definition: 'Samples only among the k most likely tokens.', chapter: '07-decoding', section: 'truncation-top-k-top-p-min-p-typical', match: ['top-k'] },
  { id: 'top-p', term: 'top-p (nucleus) sampling', definition: 'Samples among the smallest set of most likely tokens whose probabilities add up to at least p.', chapter: '07-decoding', section: 'truncation-top-k-top-p-min-p-typical', match: ['top-p', 'nucleus sampling'] },
  { id: 'typical-sampling', term: 'typical sampling', definition: 'Keeps the tokens whose surprise is closest to the distribution’s entropy.', chapter: '07-decoding', section: 'truncation-top-k-top-p-min-p-typical', match: ['typical sampling'] },
  { id: 'hbm', term: 'HBM (high-bandwidth memory)', definition: 'A GPU’s large main memory: tens of gigabytes, far slower to reach than the small SRAM on the chip where the arithmetic happens.', chapter: '15-flash-attention', section: 'why-standard-attention-is-memory-bound', match: ['HBM', 'high-bandwidth memory'], caseSensitive: true },
  { id: 'online-softmax', term: 'online softmax', definition: 'A softmax computed in one pass over chunks, keeping a running maximum and a running sum that is rescaled by e^(m_old − m_new) whenever the maximum grows; exact.', chapter: '15-flash-attention', section: 'the-online-softmax', match: ['online softmax'] },
  { id: 'flashattention', term: 'FlashAttention', definition: 'Exact attention computed in tiles that stay on chip, with the online softmax, so the N × N scores never go to slow memory.', chapter: '15-flash-attention', match: ['FlashAttention'], caseSensitive: true },
  { id: 'rag', term: 'retrieval-augmented generation (RAG)', definition: 'A retriever finds passages for the question and they are placed in the model’s context ahead of it; the weights do not change.', chapter: '19-retrieval', match: ['retrieval-augmented generation', 'RAG'] },
  { id: 'bm25', term: 'BM25', definition: 'Scores a passage by its query words: rare words weigh most (IDF), repeated words saturate (k1), long passages are discounted (b).', chapter: '19-retrieval', section: 'the-retriever-bm25', match: ['BM25'], caseSensitive: true },
  { id: 'active-learning', term: 'active learning', definition: 'Letting the model choose which examples to label or train on next, for instance those it is least sure of (uncertainty sampling).', chapter: '19-retrieval', section: 'active-learning-which-texts-to-fine-tune-on', match: ['active learning', 'uncertainty sampling'] },
  { id: 'rlhf', term: 'RLHF (reinforcement learning from human feedback)', definition: 'Fine-tuning a model with reinforcement learning against a reward model trained on people’s preferences, with a KL penalty to the starting model.', chapter: '18-assistant', section: 'instructgpts-three-steps', match: ['RLHF', 'reinforcement learning from human feedback'], caseSensitive: true },
  { id: 'dpo', term: 'DPO (direct preference optimization)', definition: 'Trains a policy on preference pairs with a logistic loss on its log-probability ratios to a frozen reference; no reward model, no sampling.', chapter: '18-assistant', section: 'dpo-the-same-objective-without-the-rl-loop', match: ['DPO'], caseSensitive: true },
  { id: 'implicit-reward', term: 'implicit reward (DPO)', definition: 'β ln(π(y | x) / π_ref(y | x)): how much likelier the policy makes a reply than the frozen reference; DPO compares it for two replies.', chapter: '18-assistant', section: 'dpo-the-same-objective-without-the-rl-loop', match: ['implicit reward', 'implicit rewards'] },
  { id: 'best-of-n', term: 'best-of-n sampling', definition: 'Draw n answers from the model and keep the one a reward model scores highest.', chapter: '18-assistant', section: 'best-of-n-the-cheapest-use-of-a-reward', match: ['best-of-n'] },
  { id: 'eval-mode', term: 'eval mode', definition: 'The state model.eval() sets: dropout off and batch norm on its running statistics; gradients are a separate switch.', chapter: '05-eval-and-dropout', section: 'one-flag-training', match: ['eval mode'] },
  { id: 'sparse-attention', term: 'sparse attention', definition: 'Attention in which each query sees only a subset of the earlier keys, chosen in advance by position (a window, a stride, global or random keys).', chapter: '16-sparse-attention', section: 'the-patterns', match: ['sparse attention'] },
  { id: 'sliding-window-attention', term: 'sliding window attention', definition: 'Each query sees only the w most recent keys, itself included: about N·w pairs instead of N(N+1)/2.', chapter: '16-sparse-attention', section: 'the-patterns', match: ['sliding window attention', 'sliding window'] },
  { id: 'lora', term: 'LoRA (low-rank adaptation)', definition: 'Fine-tuning that freezes a weight W and trains a low-rank update beside it: W x + (alpha/r) B A x, with A [r, in] and B [out, r].', chapter: '13-lora', section: 'the-lora-update', match: ['LoRA'], caseSensitive: true },
  { id: 'peft', term: 'parameter-efficient fine-tuning (PEFT)', definition: 'Fine-tuning that trains a small number of new or chosen values (adapters, prefixes, soft prompts, scaling vectors, low-rank updates) and freezes the rest.', chapter: '13-lora', section: 'other-parameter-efficient-methods', match: ['parameter-efficient fine-tuning', 'PEFT'] },
  { id: 'full-fine-tuning', term: 'full fine-tuning', definition: 'Training every weight of a trained model on new data; the optimizer keeps a gradient and its state for each.', chapter: '13-lora', section: 'full-fine-tuning-and-adapters', match: ['full fine-tuning'] },
  { id: 'perplexity', term: 'perplexity', definition: 'e raised to the loss in nats per token: how many equally likely tokens would leave the model as unsure.', chapter: '12-training', section: 'the-loss-and-perplexity', match: ['perplexity'] },
  { id: 'adamw', term: 'AdamW', definition: 'Adam (steps scaled by running means of the gradient and its square) with weight decay applied apart from the gradient.', chapter: '12-training', section: 'adamw', match: ['AdamW'], caseSensitive: true },
  { id: 'learning-rate-warmup', term: 'warmup', definition: 'The first steps of training, in which the learning rate rises linearly from near 0 to its peak.', chapter: '12-training', section: 'warmup-and-cosine-decay', match: ['warmup'] },
  { id: 'gradient-clipping', term: 'gradient clipping', definition: 'Scales all gradients down together when their combined (global) norm exceeds a threshold, keeping their direction.', chapter: '12-training', section: 'clipping', match: ['gradient clipping', 'clipping'] },
  { id: 'post-pretraining', term: 'post-pretraining', definition: 'Further training of a pretrained model on raw text of a new domain, every token counted (also continued pretraining).', chapter: '12-training', section: 'post-pretraining-and-sft', match: ['post-pretraining', 'continued pretraining'] },
  { id: 'sft', term: 'SFT (supervised fine-tuning)', definition: 'Training on prompt and answer pairs with the loss counted on the answer’s tokens only.', chapter: '12-training', section: 'post-pretraining-and-sft', match: ['SFT', 'supervised fine-tuning'], caseSensitive: true },
  { id: 'loss-mask', term: 'loss mask', definition: 'A 0/1 mark per token saying whether predicting it counts in the loss; SFT sets it to 0 on the prompt.', chapter: '12-training', section: 'the-loss-mask', match: ['loss mask'] },
  { id: 'catastrophic-forgetting', term: 'catastrophic forgetting', definition: 'A model trained on new data losing what it did well before; seen as a higher loss on the old data.', chapter: '12-training', section: 'what-changes-and-what-is-forgotten', match: ['catastrophic forgetting', 'forgetting'] },
];

/** The glossary page's URL of a term. */
export function glossaryHref(term: GlossaryTerm): string {
  return `/glossary/#${term.id}`;
}

/** The chapter section that explains a term. */
export function explainedAt(term: GlossaryTerm): string {
  return `/chapters/${term.chapter}/${term.section ? `#${term.section}` : ''}`;
}

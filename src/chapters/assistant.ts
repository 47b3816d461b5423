// The assistant chapter's arithmetic: a toy reward model (does a continuation keep to the story's
// hero, or bring in other names?), best-of-n selection against it, the expected reward of the
// chosen sample as n grows, and the KL divergence of the best-of-n choice from the base samples.
// Plain arrays, no model.

/** The hero: the name after "named" or "called" in the prompt, or null. */
export function heroOf(prompt: string): string | null {
  return /\b(?:named|called) ([A-Z][a-z]+)/.exec(prompt)?.[1] ?? null;
}

/**
 * Capitalised words that are not the first word of a sentence (nor "I"): in our stories these are
 * names ("with her friend Kurt", "said Kurt"). A name that opens a sentence is not seen, which is
 * part of what makes the reward a toy.
 */
export function midSentenceNames(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/[A-Za-z]+/g)) {
    const word = match[0];
    if (!/^[A-Z][a-z]+$/.test(word) || word === 'I') continue;
    const before = text.slice(0, match.index).replace(/["“”'\s]+$/, '');
    if (before === '' || /[.!?]$/.test(before)) continue; // opens a sentence (or the text)
    names.push(word);
  }
  return names;
}

/**
 * The toy reward of a continuation: +1 for each time it names the hero, −1 for each other name it
 * brings in mid-sentence. Counts every mention of the hero, at a sentence start too.
 */
export function heroReward(hero: string, continuation: string): number {
  const heroMentions = (continuation.match(new RegExp(`\\b${hero}\\b`, 'g')) ?? []).length;
  const others = midSentenceNames(continuation).filter((name) => name !== hero).length;
  return heroMentions - others;
}

/** The index of the best of the first n rewards (the first of equals): best-of-n sampling's choice. */
export function bestOfN(rewards: readonly number[], n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (rewards[i] > rewards[best]) best = i;
  return best;
}

/**
 * Best-of-n over a fixed set of N samples of the base model, each equally likely: n draws with
 * replacement (so n may exceed N), the highest reward kept, ties shared equally. Returns the
 * probability of choosing each sample.
 *
 * For distinct rewards, the sample ranked k-th from the bottom (k = 1..N) is chosen when every
 * draw is at most it and not every draw is below it: (k / N)^n − ((k − 1) / N)^n. A group of t
 * equal rewards with b samples below it shares ((b + t) / N)^n − (b / N)^n.
 */
export function bestOfNDistribution(rewards: readonly number[], n: number): number[] {
  const N = rewards.length;
  if (N === 0) throw new Error('best-of-n needs at least one sample.');
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a whole number of at least 1; received ${n}.`);
  return rewards.map((reward) => {
    const below = rewards.filter((r) => r < reward).length;
    const group = rewards.filter((r) => r === reward).length;
    return (((below + group) / N) ** n - (below / N) ** n) / group;
  });
}

/** Expected reward of the best-of-n choice over the N samples. */
export function expectedBestReward(rewards: readonly number[], n: number): number {
  return bestOfNDistribution(rewards, n).reduce((sum, p, i) => sum + p * rewards[i], 0);
}

/** KL(best-of-n ‖ base) in nats, where the base picks each of the N samples with probability 1/N (at most ln n − (n − 1)/n). */
export function bestOfNKl(rewards: readonly number[], n: number): number {
  const N = rewards.length;
  return bestOfNDistribution(rewards, n).reduce((sum, p) => (p > 0 ? sum + p * Math.log(p * N) : sum), 0);
}

/**
 * The formula often quoted for best-of-n: KL = ln n − (n − 1) / n. Beirami et al., "Theoretical
 * guarantees on the best-of-n alignment policy" (2024), show it is an upper bound on the true KL,
 * reached when every outcome is distinct and none is likely (a continuous base).
 */
export function bestOfNKlLimit(n: number): number {
  return Math.log(n) - (n - 1) / n;
}

/**
 * A small seeded random number generator, so that "sample with seed 42" replays the same tokens
 * on every machine and every backend (Math.random cannot be seeded).
 *
 * The generator is mulberry32 (Tommy Ettinger's 32-bit state mixer): fast, plain integer maths,
 * and identical in every JavaScript engine because it only uses Math.imul and 32-bit shifts.
 * It is not cryptographic; it only has to be reproducible and uniform enough for sampling.
 */

/**
 * Returns a function that yields uniform numbers in [0, 1), the same sequence for the same seed.
 * Any finite number is accepted as a seed; it is folded to 32 bits first, and its fractional
 * part is mixed in so that seeds 1 and 1.5 differ.
 */
export function createRandom(seed: number): () => number {
  if (!Number.isFinite(seed)) {
    throw new Error(`createRandom: seed must be a finite number. Received ${seed}.`);
  }
  let state = foldSeedTo32Bits(seed);
  return function random(): number {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    // 32 random bits scaled by 2^-32: the largest possible value is 1 - 2^-32, never 1.
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One draw from the standard normal distribution N(0, 1), by the Box-Muller transform:
 * with u1, u2 uniform on (0, 1], z = sqrt(-2 ln u1) * cos(2 pi u2) is standard normal.
 * (1 - random() maps [0, 1) onto (0, 1], so ln never sees 0.)
 */
export function randomNormal(random: () => number): number {
  const u1 = 1 - random();
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Integer part and fractional part (as 2^32ths) of the seed, mixed into one 32-bit state. */
function foldSeedTo32Bits(seed: number): number {
  const whole = Math.floor(seed);
  const fraction = Math.floor((seed - whole) * 4294967296);
  const low = whole | 0;
  const high = Math.floor(whole / 4294967296) | 0;
  return (low ^ Math.imul(high, 0x9e3779b1) ^ Math.imul(fraction, 0x85ebca6b)) | 0;
}

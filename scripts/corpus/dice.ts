/**
 * The choices a story grammar makes, drawn from one seeded stream so that the same seed writes
 * the same corpus on every machine.
 */
import { createRandom } from '../../src/llama/rng';

export class Dice {
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = createRandom(seed);
  }

  /** A whole number in [0, count). */
  below(count: number): number {
    return Math.floor(this.random() * count);
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.random() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /** `count` different items, in random order. */
  pickDistinct<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    const chosen: T[] = [];
    for (let i = 0; i < count; i++) {
      chosen.push(pool.splice(this.below(pool.length), 1)[0]);
    }
    return chosen;
  }
}

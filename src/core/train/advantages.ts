// GRPO's group-normalised advantages: each rollout's reward relative to the other rollouts of the
// same prompt copy, A_i = (r_i − mean(group)) / (std(group) + ε).
// Like verl (the paper's code), std is the unbiased sample standard deviation and ε = 1e-6.
// A group whose rewards are all equal has std 0, so every advantage in it is exactly 0: it gives
// no learning signal, and we count such groups because a run whose groups are all zero-variance
// (reward saturated at 1, or stuck at 0) is not learning from its rollouts anymore.

export const ADVANTAGE_EPSILON = 1e-6;

export interface Advantages {
  /** One per reward, in the same (group-major) order. */
  advantages: number[];
  groups: number;
  zeroVarianceGroups: number;
}

export function groupAdvantages(rewards: readonly number[], groupSize: number, epsilon = ADVANTAGE_EPSILON): Advantages {
  if (!Number.isInteger(groupSize) || groupSize < 1 || rewards.length % groupSize !== 0) {
    throw new RangeError(`${rewards.length} rewards do not split into groups of ${groupSize}`);
  }
  const advantages = new Array<number>(rewards.length);
  let zeroVarianceGroups = 0;
  const groups = rewards.length / groupSize;
  for (let g = 0; g < groups; g++) {
    const slice = rewards.slice(g * groupSize, (g + 1) * groupSize);
    const mean = slice.reduce((s, r) => s + r, 0) / groupSize;
    const allEqual = slice.every((r) => r === slice[0]);
    if (allEqual) zeroVarianceGroups++;
    const std = groupSize > 1 ? Math.sqrt(slice.reduce((s, r) => s + (r - mean) ** 2, 0) / (groupSize - 1)) : 0;
    for (let i = 0; i < groupSize; i++) {
      advantages[g * groupSize + i] = allEqual ? 0 : (slice[i] - mean) / (std + epsilon);
    }
  }
  return { advantages, groups, zeroVarianceGroups };
}

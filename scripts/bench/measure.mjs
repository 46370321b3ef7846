// measure.mjs — the timing loop every core bench shares.

// Median microseconds per call of fn over `rounds` rounds of `n` calls (after a warm-up).
export function measure(fn, n, rounds = 7) {
  for (let i = 0; i < Math.min(n, 200); i++) fn();
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    samples.push(((performance.now() - t0) * 1000) / n);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

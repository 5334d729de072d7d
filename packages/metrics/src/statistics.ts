/**
 * Statistics over per-user metric values: means with 95% confidence intervals, and the paired
 * t-test that compares two models on the same users.
 * @module
 */

/**
 * A metric's mean over users with its 95% confidence interval (normal approximation,
 * mean ± 1.96 · sd / √n) and the number of users.
 * @category Statistics
 */
export interface MetricSummary {
  readonly mean: number;
  readonly ci95: readonly [number, number];
  readonly n: number;
}

/**
 * Mean, 95% confidence interval and count of per-user values (NaN mean for none).
 * @category Statistics
 */
export const summarise = (values: ArrayLike<number>): MetricSummary => {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, ci95: [Number.NaN, Number.NaN], n };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  const half = n > 1 ? (1.96 * Math.sqrt(squares / (n - 1))) / Math.sqrt(n) : 0;
  return { mean, ci95: [mean - half, mean + half], n };
};

/**
 * The paired t-test of `a` against `b` (same users, same order): mean difference a − b, the t
 * statistic, degrees of freedom and the two-sided p-value.
 * @category Statistics
 */
export interface PairedTest {
  readonly meanDifference: number;
  /** The mean difference's 95% confidence interval (Student's t); null for fewer than 2 pairs. */
  readonly ci95: readonly [number, number] | null;
  readonly t: number;
  readonly degreesOfFreedom: number;
  readonly pValue: number;
  readonly n: number;
}

/**
 * The two-sided critical value of Student's t: P(|T| ≥ t) = 1 − `level` with `df` degrees of
 * freedom (bisection on the distribution function).
 * @example
 * ```ts
 * studentCritical(0.95, 2); // 4.303
 * ```
 * @category Statistics
 */
export const studentCritical = (level: number, df: number): number => {
  let lo = 0;
  let hi = 1e4;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (studentTwoSidedP(mid, df) > 1 - level) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
};

/**
 * A mean over a few runs (seeds) with its sample standard deviation and 95% confidence interval
 * by Student's t (null with one run: one run says nothing about the spread).
 * @category Statistics
 */
export interface RunSummary {
  readonly mean: number;
  readonly std: number | null;
  readonly ci95: readonly [number, number] | null;
  readonly n: number;
}

/**
 * Mean, standard deviation and Student-t 95% interval of `values` (one per run).
 * @example
 * ```ts
 * summariseRuns([0.071, 0.074, 0.069]); // { mean: 0.0713, std: 0.0025, ci95: [0.0651, 0.0775], n: 3 }
 * ```
 * @category Statistics
 */
export const summariseRuns = (values: ArrayLike<number>): RunSummary => {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = n === 0 ? Number.NaN : sum / n;
  if (n < 2) return { mean, std: null, ci95: null, n };
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  const std = Math.sqrt(squares / (n - 1));
  const half = (studentCritical(0.95, n - 1) * std) / Math.sqrt(n);
  return { mean, std, ci95: [mean - half, mean + half], n };
};

/**
 * Paired two-sided t-test over per-user values; throws `RangeError` when the lengths differ.
 * @example
 * ```ts
 * pairedTTest(distilled.perUser["ndcg@10"], baseline.perUser["ndcg@10"]).pValue; // < 0.05: a real gain
 * ```
 * @category Statistics
 */
export const pairedTTest = (a: ArrayLike<number>, b: ArrayLike<number>): PairedTest => {
  if (a.length !== b.length)
    throw new RangeError(`pairedTTest: ${a.length} values against ${b.length}; pair the same users`);
  const n = a.length;
  const differences = Float64Array.from({ length: n }, (_, i) => a[i]! - b[i]!);
  const { mean } = summarise(differences);
  let squares = 0;
  for (const d of differences) squares += (d - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
  const df = n - 1;
  if (sd === 0) {
    // All differences equal: no variance to test against.
    return {
      meanDifference: mean,
      ci95: n > 1 ? [mean, mean] : null,
      t: mean === 0 ? 0 : Math.sign(mean) * Number.POSITIVE_INFINITY,
      degreesOfFreedom: df,
      pValue: mean === 0 ? 1 : 0,
      n,
    };
  }
  const t = mean / (sd / Math.sqrt(n));
  const half = (studentCritical(0.95, df) * sd) / Math.sqrt(n);
  return {
    meanDifference: mean,
    ci95: [mean - half, mean + half],
    t,
    degreesOfFreedom: df,
    pValue: studentTwoSidedP(t, df),
    n,
  };
};

/**
 * P(|T| ≥ |t|) for Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2).
 * @category Statistics
 */
export const studentTwoSidedP = (t: number, df: number): number =>
  regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);

const logGamma = (x: number): number => {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const tt = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(tt) - tt + Math.log(sum);
};

/** I_x(a, b) by Lentz's continued fraction (Numerical Recipes' betacf), using the symmetry for speed. */
export const regularizedIncompleteBeta = (x: number, a: number, b: number): number => {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedIncompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = Math.abs(d) < tiny ? tiny : d;
  d = 1 / d;
  f = d;
  for (let m = 1; m <= 300; m++) {
    for (const step of [0, 1]) {
      const numerator =
        step === 0
          ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
          : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
      d = 1 + numerator * d;
      d = Math.abs(d) < tiny ? tiny : d;
      c = 1 + numerator / c;
      c = Math.abs(c) < tiny ? tiny : c;
      d = 1 / d;
      f *= c * d;
    }
    if (Math.abs(c * d - 1) < 1e-15) break;
  }
  return (front * f) / a;
};

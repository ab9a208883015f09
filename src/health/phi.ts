/**
 * Phi-accrual failure detection (Hayashibara, Défago, Yared, Katayama, 2004), pure math.
 *
 * The detector keeps a window of the last inter-arrival times of heartbeats and models them as a
 * normal distribution N(mean, sd). After a silence of `t` ms, `phi = -log10(P(X > t))`: phi = 1
 * means a 10 % chance that a live child would have been this quiet, phi = 8 one in 10^8.
 *
 * Why normal (as Akka does) rather than exponential (as Cassandra does): the exponential model puts
 * `phi = 0.434 * t / mean`, so the default threshold 8 would wait 18 heartbeat periods; the normal
 * model follows the child's actual rhythm and its jitter. A steady child has a tiny sd, though, and
 * one late beat (a GC pause, a busy event loop) would then look like death; so the sd is floored at
 * {@link MIN_SD_RATIO} of the mean (and {@link MIN_SD_MS}). With the default threshold 8 a perfectly
 * regular child is declared dead after about 2.4 of its periods of silence.
 */

/** Inter-arrival times kept. */
export const PHI_WINDOW = 100;
/** Intervals needed before phi is trusted; until then the plain timeout applies. */
export const PHI_MIN_SAMPLES = 5;
/** Floor of the standard deviation, as a fraction of the mean interval. */
export const MIN_SD_RATIO = 0.25;
/** Absolute floor of the standard deviation (ms), for heartbeats sent in bursts. */
export const MIN_SD_MS = 10;

const LN10 = Math.log(10);

/** The fitted polynomial in t of `lnErfc`, highest degree first (evaluated in Horner form). */
const ERFC_COEFFICIENTS = [
  0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368,
  -1.26551223,
];

/**
 * ln(erfc(x)) for x >= 0, from the Chebyshev fit in Numerical Recipes (`erfcc`, fractional error
 * below 1.2e-7 everywhere). Working in logs keeps far tails finite where erfc itself underflows.
 */
function lnErfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  let poly = 0;
  for (const c of ERFC_COEFFICIENTS) poly = poly * t + c;
  return Math.log(t) - x * x + poly;
}

/** -log10 of the upper tail of the standard normal distribution, P(Z > z). */
export function upperTailPhi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  if (z >= 0) return -(Math.log(0.5) + lnErfc(x)) / LN10;
  // P(Z > z) = 1 - P(Z > |z|), close to 1; log1p keeps the tiny phi precise.
  return -Math.log1p(-0.5 * Math.exp(lnErfc(x))) / LN10;
}

/** The standard deviation actually used: the observed one, floored (see the module comment). */
export function effectiveSd(mean: number, sd: number): number {
  return Math.max(sd, mean * MIN_SD_RATIO, MIN_SD_MS);
}

/** Phi after `elapsed` ms of silence, for inter-arrival times with this `mean` and observed `sd`. */
export function phi(elapsed: number, mean: number, sd: number): number {
  return upperTailPhi((elapsed - mean) / effectiveSd(mean, sd));
}

/** The z at which phi reaches `threshold` (bisection; phi grows with z). */
export function zForPhi(threshold: number): number {
  let low = -10;
  let high = 60;
  for (let i = 0; i < 100; i++) {
    const mid = (low + high) / 2;
    if (upperTailPhi(mid) < threshold) low = mid;
    else high = mid;
  }
  return high;
}

/** The silence (ms) after which phi reaches the threshold whose z is `z` (see {@link zForPhi}). */
export function silenceForZ(z: number, mean: number, sd: number): number {
  return mean + z * effectiveSd(mean, sd);
}

/** A sliding window of inter-arrival times with its mean and standard deviation. */
export class IntervalWindow {
  readonly #values: number[] = [];
  #next = 0;

  constructor(readonly capacity: number = PHI_WINDOW) {}

  /** Adds one interval, dropping the oldest when full. */
  add(interval: number): void {
    if (this.#values.length < this.capacity) this.#values.push(interval);
    else this.#values[this.#next] = interval;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Intervals held. */
  get size(): number {
    return this.#values.length;
  }

  /** Mean and (population) standard deviation; both 0 when empty. */
  stats(): { mean: number; sd: number } {
    const n = this.#values.length;
    if (n === 0) return { mean: 0, sd: 0 };
    let sum = 0;
    for (const value of this.#values) sum += value;
    const mean = sum / n;
    let squares = 0;
    for (const value of this.#values) squares += (value - mean) ** 2;
    return { mean, sd: Math.sqrt(squares / n) };
  }
}

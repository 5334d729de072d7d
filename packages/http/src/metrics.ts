/**
 * The service's Prometheus metrics: requests by route and status, request latency as a histogram,
 * and popularity fallbacks by model. Text exposition format 0.0.4, no client library: three
 * families do not need one.
 * @module
 */

/** Latency buckets, seconds: from 0.1 ms (a typed-array top-10) to 1 s. */
const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * Counters and a latency histogram, rendered as Prometheus text.
 * @category Service
 */
export interface ServiceMetrics {
  observe(route: string, status: number, seconds: number): void;
  fallback(model: string): void;
  render(): string;
}

const label = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/**
 * Fresh metrics (all zero).
 * @example
 * ```ts
 * const metrics = serviceMetrics();
 * metrics.observe("/recommendations", 200, 0.0004);
 * metrics.render(); // "# HELP kdrec_requests_total …"
 * ```
 * @category Service
 */
export const serviceMetrics = (): ServiceMetrics => {
  const requests = new Map<string, number>();
  const fallbacks = new Map<string, number>();
  const histograms = new Map<string, { counts: number[]; sum: number; count: number }>();
  return {
    observe: (route, status, seconds) => {
      const key = `route="${label(route)}",status="${status}"`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
      let histogram = histograms.get(route);
      if (histogram === undefined) {
        histogram = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
        histograms.set(route, histogram);
      }
      BUCKETS.forEach((bound, b) => {
        if (seconds <= bound) histogram.counts[b]! += 1;
      });
      histogram.sum += seconds;
      histogram.count += 1;
    },
    fallback: (model) => fallbacks.set(model, (fallbacks.get(model) ?? 0) + 1),
    render: () => {
      const lines = [
        "# HELP kdrec_requests_total Requests answered, by route and HTTP status.",
        "# TYPE kdrec_requests_total counter",
        ...[...requests].map(([key, n]) => `kdrec_requests_total{${key}} ${n}`),
        "# HELP kdrec_request_duration_seconds Time from request to response, by route.",
        "# TYPE kdrec_request_duration_seconds histogram",
        ...[...histograms].flatMap(([route, h]) => [
          ...BUCKETS.map(
            (bound, b) => `kdrec_request_duration_seconds_bucket{route="${label(route)}",le="${bound}"} ${h.counts[b]}`,
          ),
          `kdrec_request_duration_seconds_bucket{route="${label(route)}",le="+Inf"} ${h.count}`,
          `kdrec_request_duration_seconds_sum{route="${label(route)}"} ${h.sum}`,
          `kdrec_request_duration_seconds_count{route="${label(route)}"} ${h.count}`,
        ]),
        "# HELP kdrec_fallbacks_total Recommendations answered by the popularity fallback, by model.",
        "# TYPE kdrec_fallbacks_total counter",
        ...[...fallbacks].map(([model, n]) => `kdrec_fallbacks_total{model="${label(model)}"} ${n}`),
      ];
      return `${lines.join("\n")}\n`;
    },
  };
};

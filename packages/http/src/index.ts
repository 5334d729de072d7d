/**
 * `@kdrec/http`: trained models behind an HTTP service.
 *
 * - {@link recommenderService}: `@kdrec/serving` recommenders behind Fastify 5 —
 *   `GET/POST /recommendations`, `GET /models`, `GET /healthz`, `GET /metrics` (Prometheus),
 *   JSON Schemas on every request and response, a 4xx with a message for bad input;
 * - {@link serveModels}: load models, serve them until SIGTERM or SIGINT, close gracefully
 *   (what `kdrec serve` runs); {@link serveUntilSignal} for a service of your own;
 * - {@link serviceMetrics}: the counters and latency histogram behind `/metrics`.
 * @packageDocumentation
 */
export { serveModels, serveUntilSignal } from "./lifecycle.js";
export { type ServiceMetrics, serviceMetrics } from "./metrics.js";
export { recommenderService, type ServiceOptions } from "./service.js";

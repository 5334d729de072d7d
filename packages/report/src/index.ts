/**
 * `@kdrec/report`: see an experiment.
 *
 * - {@link reportHtml}: one self-contained HTML page over one or several runs — learning curves
 *   (mean over seeds with a band), the loss terms with α and T per epoch, test NDCG@10 / HR@10
 *   with 95% intervals, quality against
 *   parameters and against scoring time with the Pareto front marked, the paired tests and each
 *   model's resolved config; Vega-Lite is inlined, so the page opens from disk and loads nothing;
 * - {@link reportCharts}: the charts as Vega-Lite specs, {@link paretoFront} the front they mark;
 * - {@link tensorboardLog}: TensorBoard scalars of every epoch, through a given writer
 *   (tfjs-node's summary writer in Node).
 *
 * Reading run folders and writing the page are Node-only, in `@kdrec/report/node`.
 * @packageDocumentation
 */

export { paretoFront, type ReportChart, reportCharts, type VegaLiteSpec } from "./charts.js";
export { type ChartScripts, reportHtml } from "./html.js";
export { type EpochLine, modelKey, type RunRecord } from "./run_record.js";
export { type ScalarWriter, type ScalarWriterFactory, type TensorBoardLog, tensorboardLog } from "./tensorboard.js";

/**
 * The report as one self-contained HTML page: the charts (rendered by Vega-Lite in the page, its
 * scripts inlined, so it opens from disk and loads nothing), the paired tests, and each model's
 * resolved config.
 * @module
 */
import { reportCharts } from "./charts.js";
import { modelKey, type RunRecord } from "./run_record.js";

/**
 * The sources of the scripts the page inlines: vega, vega-lite and vega-embed's browser builds.
 * @category Report
 */
export interface ChartScripts {
  readonly vega: string;
  readonly vegaLite: string;
  readonly vegaEmbed: string;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A script's source, safe inside a <script> element. */
const inlineScript = (source: string): string => `<script>${source.replace(/<\/(script)/gi, "<\\/$1")}</script>`;

/** JSON safe inside a <script> element. */
const inlineJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c");

const fixed = (x: number | undefined | null, digits = 4) => (x === undefined || x === null ? "–" : x.toFixed(digits));

const testsTable = (runs: ReadonlyArray<RunRecord>): string => {
  const rows = runs.flatMap((run) =>
    run.result.comparisons.flatMap((c) =>
      [c.users, ...(c.seeds === undefined ? [] : [c.seeds])].map(
        (test) =>
          `<tr><td>${escapeHtml(modelKey(runs, run, c.student))}</td><td>${escapeHtml(modelKey(runs, run, c.baseline))}</td>` +
          `<td>${fixed(test.meanDifference)}</td><td>[${fixed(test.ci95?.[0])}, ${fixed(test.ci95?.[1])}]</td>` +
          `<td>${fixed(test.pValue, 3)}</td><td>${test.n}</td><td>${escapeHtml(test.method)}</td></tr>`,
      ),
    ),
  );
  return rows.length === 0
    ? "<p>No distilled student has an undistilled one of its size to compare with.</p>"
    : `<table><thead><tr><th>student</th><th>against</th><th>Δ test NDCG@10</th><th>95% interval</th><th>p</th><th>n</th><th>method</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
};

const configs = (runs: ReadonlyArray<RunRecord>): string =>
  runs
    .flatMap((run) => {
      const models = [run.config?.teacher, ...(run.config?.students ?? [])].filter(
        (m): m is { name?: string } => typeof m === "object" && m !== null,
      );
      return models.map(
        (model) =>
          `<details><summary>${escapeHtml(modelKey(runs, run, String(model.name ?? "?")))}</summary><pre>${escapeHtml(JSON.stringify(model, null, 2))}</pre></details>`,
      );
    })
    .join("\n");

const header = (runs: ReadonlyArray<RunRecord>): string =>
  runs
    .map((run) => {
      const { dataset } = run.result;
      const seeds = new Set(run.result.models.map((m) => m.seed)).size;
      return `<li><b>${escapeHtml(run.label)}</b>: ${escapeHtml(dataset.name)} (${dataset.users.toLocaleString("en-US")} users, ${dataset.items.toLocaleString("en-US")} items, ${dataset.interactions.toLocaleString("en-US")} interactions), ${escapeHtml(JSON.stringify(run.result.protocol))}, ${seeds} seed(s), ${new Set(run.result.models.map((m) => m.name)).size} models</li>`;
    })
    .join("");

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}p.caption{color:#555;max-width:52rem}
table{border-collapse:collapse;font-size:.85rem}td,th{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left}
pre{background:#f6f6f6;padding:.6rem;font-size:.8rem;overflow:auto}details{margin:.3rem 0}
.chart{margin:.5rem 0 1rem}`;

/**
 * The report page for `runs`: one HTML document with everything inlined.
 * @example
 * ```ts
 * const html = reportHtml([run], await chartScripts());
 * ```
 * @category Report
 */
export const reportHtml = (runs: ReadonlyArray<RunRecord>, scripts: ChartScripts): string => {
  const charts = reportCharts(runs);
  const sections = charts
    .map(
      (chart) =>
        `<h2>${escapeHtml(chart.title)}</h2><p class="caption">${escapeHtml(chart.caption)}</p><div class="chart" id="${chart.id}"></div>`,
    )
    .join("\n");
  const specs = Object.fromEntries(charts.map((chart) => [chart.id, chart.spec]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kdrec report: ${escapeHtml(runs.map((r) => r.label).join(", "))}</title>
<style>${STYLE}</style>
${inlineScript(scripts.vega)}
${inlineScript(scripts.vegaLite)}
${inlineScript(scripts.vegaEmbed)}
</head><body>
<h1>kdrec report</h1>
<ul>${header(runs)}</ul>
${sections}
<h2>Paired tests</h2>
<p class="caption">Each distilled student against the undistilled student of its size: over users (each user's test NDCG@10 averaged over seeds) and, with three seeds or more, over seed means.</p>
${testsTable(runs)}
<h2>Resolved configs</h2>
<p class="caption">Each model's spec with every default filled in, as the run used it.</p>
${configs(runs)}
<script>
const specs = ${inlineJson(specs)};
window.kdrecCharts = Promise.all(Object.entries(specs).map(([id, spec]) =>
  vegaEmbed("#" + id, spec, { renderer: "svg", actions: false })));
window.kdrecCharts.catch((error) => console.error("kdrec report: a chart failed to render:", error));
</script>
</body></html>
`;
};

// Prints benchmark rows side by side: one column per contender, and the ratio of the first two.

export interface BenchRow {
  readonly metric: string;
  readonly unit: string;
  readonly values: ReadonlyArray<number>;
  /** Whether a larger value is better (throughput) or worse (time). */
  readonly higherIsBetter: boolean;
}

const formatNumber = (x: number): string =>
  x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x >= 0.01 ? x.toFixed(4) : x.toExponential(2);

export const formatTable = (columns: ReadonlyArray<string>, rows: ReadonlyArray<BenchRow>): string => {
  const header = ["metric", "unit", ...columns, `${columns[0]} vs ${columns[1]}`];
  const body = rows.map((row) => {
    const [a = Number.NaN, b = Number.NaN] = row.values;
    const ratio = row.higherIsBetter ? a / b : b / a;
    return [row.metric, row.unit, ...row.values.map(formatNumber), `${ratio.toFixed(1)}x faster`];
  });
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => (r[i] ?? "").length)));
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
};

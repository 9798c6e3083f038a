// Percentiles and the printed tables.

/** The nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** `{ n, p50, p95, p99, max }` of the values (ms). */
export function distribution(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
  };
}

const ms = (value) => (Number.isFinite(value) ? value.toFixed(1) : 'n/a');

/** Rows of cells, padded to the widest cell of each column; the first column left-aligned. */
export function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? String(cell).padEnd(widths[column]) : String(cell).padStart(widths[column]),
        )
        .join('  '),
    )
    .join('\n');
}

export function latencyRows(named) {
  return [
    ['latency (ms)', 'n', 'p50', 'p95', 'p99', 'max'],
    ...named.map(([name, values]) => {
      const d = distribution(values);
      return [name, d.n, ms(d.p50), ms(d.p95), ms(d.p99), ms(d.max)];
    }),
  ];
}

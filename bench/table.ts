// The one table the suite prints: a Markdown table, so the README can take it as it is.
export interface Row {
  path: string
  service: string
  floor: string
  /** service / floor: a throughput ratio for reads (higher is better), a time ratio otherwise (lower is better). */
  ratio: number | undefined
  /** The goal for the ratio, e.g. "≥ 0.8". */
  goal: string
  p99?: string
  /** The service process's peak RSS so far, bytes. */
  peakRss?: number
}

export function formatTable (rows: Row[]): string {
  const mb = (bytes: number | undefined) => bytes === undefined ? '' : `${Math.round(bytes / 1024 / 1024)} MB`
  const lines = [
    '| path | service | floor | ratio | goal | p99 | service peak RSS |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(row => `| ${row.path} | ${row.service} | ${row.floor} | ${row.ratio === undefined ? '' : row.ratio.toFixed(2)} | ${row.goal} | ${row.p99 ?? ''} | ${mb(row.peakRss)} |`)
  ]
  return lines.join('\n')
}

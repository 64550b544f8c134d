// Medians and formatting for the benchmarks: they print figures, never pass or fail on time.

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

export function row(label: string, value: string, note = ''): void {
  console.log(`${label.padEnd(44)} ${value.padStart(14)}  ${note}`);
}

export async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await work();
  return [performance.now() - start, result];
}

/** One row of the side-by-side table: our figure, the other one's (magic-wormhole's, or an anchor's), their ratio. */
export interface ComparisonRow {
  what: string;
  ours: string;
  theirs: string;
  ratio: string;
  target: string;
}

/** Prints the rows as one aligned table, then the notes (what each anchor is, what the remaining waits are). */
export function printComparison(rows: readonly ComparisonRow[], notes: readonly string[] = []): void {
  const header: ComparisonRow = { what: 'what', ours: 'ours', theirs: 'theirs / anchor', ratio: 'ratio', target: 'target' };
  const keys = ['what', 'ours', 'theirs', 'ratio', 'target'] as const;
  const widths = keys.map((key) => Math.max(...[header, ...rows].map((row) => row[key].length)));
  const line = (row: ComparisonRow) => keys.map((key, column) => (column === 0 ? row[key].padEnd(widths[column]) : row[key].padStart(widths[column]))).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
  for (const note of notes) console.log(`  ${note}`);
}

export const ratio = (ours: number, theirs: number): string => (Number.isFinite(ours / theirs) ? `${(ours / theirs).toFixed(2)}` : '-');

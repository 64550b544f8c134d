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

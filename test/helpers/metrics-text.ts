import type { TestApp } from './app.js'

export interface Sample { name: string, labels: Record<string, string>, value: number }
export interface Exposition {
  /** Metric family name → type (# TYPE lines). */
  types: Map<string, string>
  samples: Sample[]
  /** The value of the one sample with this name and exactly these labels, or undefined. */
  value: (name: string, labels?: Record<string, string>) => number | undefined
}

/** Parses the Prometheus text format (what prom-client writes: no escapes beyond \" \\ \n). */
export function parseExposition (text: string): Exposition {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type !== null) { types.set(type[1] as string, type[2] as string); continue }
    if (line === '' || line.startsWith('#')) continue
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line)
    if (sample === null) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const pair of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, c: string) => c === 'n' ? '\n' : c)
    samples.push({ name: sample[1] as string, labels, value: Number(sample[3]) })
  }
  const same = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => b[key] === value)
  return { types, samples, value: (name, labels = {}) => samples.find(s => s.name === name && same(s.labels, labels))?.value }
}

/** GET /metrics on the internal listener, parsed. */
export async function scrape (app: TestApp): Promise<Exposition> {
  const response = await app.internal.inject({ method: 'GET', url: '/metrics' })
  if (response.statusCode !== 200) throw new Error(`/metrics answered ${response.statusCode}`)
  return parseExposition(response.body)
}

// A small Dockerfile reader for the static tests: instructions grouped by build stage, with line
// continuations joined, comments dropped and ARG defaults substituted into FROM.

export interface Instruction { keyword: string, args: string }
export interface Stage { image: string, name: string | undefined, instructions: Instruction[] }

export function parseDockerfile (text: string): { args: Record<string, string>, stages: Stage[] } {
  const logical: string[] = []
  let current = ''
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd()
    if (current === '' && /^\s*#/.test(line)) continue
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' '
      continue
    }
    current += line
    if (current.trim() !== '') logical.push(current.trim())
    current = ''
  }
  const args: Record<string, string> = {}
  const stages: Stage[] = []
  for (const line of logical) {
    const match = /^(\S+)\s*(.*)$/.exec(line)
    if (match === null) continue
    const keyword = (match[1] ?? '').toUpperCase()
    const rest = match[2] ?? ''
    if (keyword === 'FROM') {
      const [image = '', as, name] = rest.split(/\s+/)
      const resolved = image.replace(/\$\{?(\w+)\}?/g, (_, variable: string) => args[variable] ?? '')
      stages.push({ image: resolved, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] })
    } else if (stages.length === 0 && keyword === 'ARG') {
      const [key = '', value = ''] = rest.split('=')
      args[key] = value
    } else {
      stages.at(-1)?.instructions.push({ keyword, args: rest })
    }
  }
  return { args, stages }
}

/** The JSON-array (exec form) arguments of an instruction such as CMD, or undefined for the shell form. */
export function execForm (args: string): string[] | undefined {
  const json = args.replace(/^(--\S+\s+)*CMD\s+/, '')
  try {
    const parsed: unknown = JSON.parse(json)
    return Array.isArray(parsed) && parsed.every(item => typeof item === 'string') ? parsed : undefined
  } catch {
    return undefined
  }
}

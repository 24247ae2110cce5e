import { spawn } from 'node:child_process'
import { ROOT } from './deploy-files.js'

export interface CliRun { code: number | null, stdout: string, stderr: string, lines: Array<Record<string, unknown>> }

/**
 * Runs `src/cli.ts` as a child process (as the image runs dist/src/cli.js) with only `env` and
 * PATH. No database is reachable: EMBEDDED_DATA_DIR points where nothing can be created, so a
 * command that tries to resolve one fails. `stdin`, when given, is piped in. `lines` are stdout's
 * lines parsed as JSON. `onStderr` sees standard error as it arrives (to wait on what the command says).
 */
export async function runCli (args: string[], env: Record<string, string>, stdin?: string, onStderr?: (soFar: string) => void): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', EMBEDDED_DATA_DIR: '/dev/null/no-database-here', ...env },
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']
  })
  if (stdin !== undefined) child.stdin?.end(stdin)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    onStderr?.(stderr)
  })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  const lines = stdout.split('\n').filter(line => line.startsWith('{')).map(line => JSON.parse(line) as Record<string, unknown>)
  return { code, stdout, stderr, lines }
}

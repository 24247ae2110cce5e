import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { parseAllDocuments } from 'yaml'
import { EnvSchema } from '../../src/config.js'

// Shared by the static deployment tests: the repository root, the env variable names the service
// reads, YAML loading, and the mapping from a compiled path in the image back to its source.
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const ENV_KEYS = new Set(Object.keys(EnvSchema.properties))

export function readText (relative: string): string {
  return readFileSync(path.join(ROOT, relative), 'utf8')
}

/** Every document of a YAML file (merge keys `<<` resolved, as docker compose does). Throws on a syntax error. */
export function readYaml (relative: string): unknown[] {
  return parseAllDocuments(readText(relative), { merge: true }).map(document => {
    if (document.errors.length > 0) throw new Error(`${relative}: ${document.errors[0]?.message ?? 'invalid YAML'}`)
    return document.toJS() as unknown
  }).filter(value => value !== null)
}

const buildConfig = (() => {
  const file = path.join(ROOT, 'tsconfig.build.json')
  const read = ts.readConfigFile(file, name => ts.sys.readFile(name))
  if (read.error !== undefined) throw new Error('tsconfig.build.json cannot be read')
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, file)
  const { outDir, rootDir } = parsed.options
  if (outDir === undefined || rootDir === undefined) throw new Error('tsconfig.build.json needs outDir and rootDir')
  return { outDir, rootDir, fileNames: new Set(parsed.fileNames.map(name => path.resolve(name))) }
})()

/**
 * The source file `npm run build` compiles to `compiled` (a path relative to the image's /app,
 * e.g. dist/src/server.js → src/server.ts), or undefined when the build produces no such file.
 */
export function sourceOfCompiled (compiled: string): string | undefined {
  const relative = path.relative(buildConfig.outDir, path.resolve(ROOT, compiled))
  if (relative.startsWith('..') || !relative.endsWith('.js')) return undefined
  const source = path.join(buildConfig.rootDir, relative.replace(/\.js$/, '.ts'))
  return buildConfig.fileNames.has(source) && existsSync(source) ? path.relative(ROOT, source) : undefined
}


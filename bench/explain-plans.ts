import { pino } from 'pino'
import { buildApps } from '../src/app.js'
import type { Config } from '../src/config.js'
import { createContext } from '../src/context.js'

// `--explain`: drives the service's own queries through auto_explain (EXPLAIN ANALYZE of every
// statement over a threshold, sent back as NOTICEs), so the plans shown are those of the real
// code path, parameters included. Timings here carry EXPLAIN's overhead: not for the ratio.

interface Plan { step: string, ms: number, text: string }

function withAutoExplain (databaseUrl: string, minMs: number): string {
  const url = new URL(databaseUrl)
  const settings = ['session_preload_libraries=auto_explain', `auto_explain.log_min_duration=${minMs}`, 'auto_explain.log_analyze=on',
    'auto_explain.log_buffers=on', 'auto_explain.log_level=notice', 'auto_explain.log_nested_statements=off']
  url.searchParams.set('options', settings.map(s => `-c ${s}`).join(' '))
  return url.toString()
}

/** The first line of the statement, squeezed, as a key: one plan is printed per statement shape and step. */
function shape (text: string): string {
  const query = /Query Text: ([\s\S]*?)\n\S/.exec(text)?.[1] ?? text
  return query.replace(/\s+/g, ' ').slice(0, 90)
}

export async function explainPlans (options: { databaseUrl: string, config: Config, headers: Record<string, string>, targeting: object }): Promise<void> {
  const url = withAutoExplain(options.databaseUrl, 50)
  const ctx = createContext(options.config, pino({ level: 'warn' }), url)
  const plans: Plan[] = []
  let step = 'setup'
  ctx.pool.on('connect', client => {
    client.on('notice', notice => {
      const ms = Number(/duration: ([\d.]+) ms/.exec(notice.message ?? '')?.[1] ?? 0)
      if (/plan:/.test(notice.message ?? '')) plans.push({ step, ms, text: notice.message ?? '' })
    })
  })
  const { api, internal } = await buildApps(ctx)
  const call = async (name: string, method: 'POST', url: string, payload?: object): Promise<unknown> => {
    step = name
    const started = Date.now()
    const response = await api.inject({ method, url, headers: options.headers, ...(payload !== undefined ? { payload } : {}) })
    const body = response.json<Record<string, unknown>>()
    const { sample: _sample, messages: _messages, ...summary } = body
    console.log(`\n## ${name}: ${response.statusCode} in ${Date.now() - started} ms ${JSON.stringify(summary).slice(0, 300)}`)
    return body
  }
  const messages = [{ body: 'Hi', delayMinutes: 1440 }]
  await call('preview, no filter', 'POST', '/v1/campaigns/preview', { name: 'p', messages })
  await call('preview, tag vip', 'POST', '/v1/campaigns/preview', { name: 'p', messages, targeting: { tags: ['vip'] } })
  await call('create, tag vip, cap 100000', 'POST', '/v1/campaigns', { name: 'vip', messages, targeting: { tags: ['vip'] }, maxLeadsToEnroll: 100000 })
  const everyone = await call('create, no filter (vip leads now active elsewhere)', 'POST', '/v1/campaigns', { name: 'all', messages }) as { id: string }
  await call('top-up with nothing left', 'POST', `/v1/campaigns/${everyone.id}/enroll`)
  await call('preview, no filter, everyone active', 'POST', '/v1/campaigns/preview', { name: 'p', messages })

  const seen = new Map<string, { count: number, total: number, max: number }>()
  for (const plan of plans) {
    const key = `${plan.step} | ${shape(plan.text)}`
    const entry = seen.get(key) ?? { count: 0, total: 0, max: 0 }
    if (entry.count === 0) console.log(`\n---- [${plan.step}] ${plan.ms.toFixed(0)} ms\n${plan.text}`)
    seen.set(key, { count: entry.count + 1, total: entry.total + plan.ms, max: Math.max(entry.max, plan.ms) })
  }
  console.log('\n#### statements over 50 ms, per step (count, total, max)')
  for (const [key, { count, total, max }] of seen) console.log(`${count}x ${total.toFixed(0)} ms (max ${max.toFixed(0)}) ${key}`)
  await Promise.all([api.close(), internal.close()])
  await ctx.close()
}

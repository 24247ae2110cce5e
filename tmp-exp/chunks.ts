import { pino } from 'pino'
import { buildApps } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createContext } from '../src/context.js'
import { migrateToLatest } from '../src/db/migrator.js'
import { createBenchDatabase, seedLeads } from '../bench/bench-database.js'

const database = await createBenchDatabase()
try {
  const url = new URL(database.url)
  url.searchParams.set('options', ['session_preload_libraries=auto_explain', 'auto_explain.log_min_duration=100', 'auto_explain.log_analyze=on', 'auto_explain.log_buffers=on', 'auto_explain.log_timing=on', 'auto_explain.log_level=notice'].map(s => `-c ${s}`).join(' '))
  const config = loadConfig({ DATABASE_URL: database.url, ADMIN_API_KEY: 'bench-admin-key-0123456789', LOG_LEVEL: 'warn', WORKER_ENABLED: 'false', ENROLLMENT_TIME_BUDGET_MS: '3600000' })
  const ctx = createContext(config, pino({ level: 'warn' }), url.toString())
  const plans: string[] = []
  ctx.pool.on('connect', client => { client.on('notice', n => { if (/plan:/.test(n.message ?? '')) plans.push(n.message ?? '') }) })
  await migrateToLatest(ctx.db, database.url)
  const { api, internal } = await buildApps(ctx)
  const created = await api.inject({ method: 'POST', url: '/v1/admin/clients', headers: { authorization: 'Bearer bench-admin-key-0123456789' }, payload: { name: 'B' } })
  const client = created.json<{ id: string, apiKey: string }>()
  await seedLeads(ctx.pool, client.id, 1000000)
  await ctx.pool.query('checkpoint')
  const t0 = Date.now()
  const r = await api.inject({ method: 'POST', url: '/v1/campaigns', headers: { authorization: `Bearer ${client.apiKey}` }, payload: { name: 'v', targeting: { tags: ['vip'] }, messages: [{ body: 'Hi', delayMinutes: 10 }] } })
  console.log('status', r.statusCode, Date.now() - t0, 'ms')
  for (const p of plans) {
    const dur = /duration: ([\d.]+)/.exec(p)?.[1]
    const lines = p.split('\n').filter(l => /Limit|Insert on|Anti Join|Index Only Scan using leads|Index Only Scan using enrollments_one|Buffers|WAL/.test(l)).map(l => l.trim().slice(0, 160))
    console.log('---', dur, '\n  ' + lines.slice(0, 12).join('\n  '))
  }
  await Promise.all([api.close(), internal.close()])
  await ctx.close()
} finally { await database.drop() }

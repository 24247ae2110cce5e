import t from 'tap'
import { arrayLiteral, copyFromStdin, copyText } from '../../src/db/copy.js'
import { createDatabase, withConnection } from '../../src/db/database.js'
import { buildTestApp } from '../helpers/app.js'
import { freshDatabase } from '../helpers/postgres.js'

// New leads go in by COPY: text the COPY format or an array literal gives a meaning to
// (backslash, tab, newline, quotes, commas, braces, NULL, \N) must come back as it was sent.
const AWKWARD = ['back\\slash', 'tab\there', 'new\nline\r\n', 'quote"s', 'a,b', '{brace}', 'NULL', '\\N', ' spaced ', 'é 😀']

t.test('new leads keep every field as sent, with or without createdAt, opted out or not', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const leads = AWKWARD.map((text, i) => ({
    externalId: `x-${text}`, firstName: text, lastName: text, email: text, airtableRecordId: `rec${i}`, timezone: 'Europe/Paris',
    phone: '+12025550100', tags: [text, 'plain', 'NULL', ' x '], engagementLevel: 'low', icpScore: i,
    ...(i % 2 === 0 ? { createdAt: `2024-01-0${1 + (i % 9)}T10:00:00.123456+02:00` } : {}),
    ...(i % 3 === 0 ? { optedOut: i % 2 === 0 } : {})
  }))
  leads.push({ externalId: 'bare', firstName: 'Bare' } as typeof leads[number])
  const imported = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads } })
  t.same(imported.json(), { created: leads.length, updated: 0, unchanged: 0 })
  const stored = new Map((await app.api.inject({ method: 'GET', url: '/v1/leads?limit=200', headers })).json().data.map((lead: { externalId: string }) => [lead.externalId, lead]))
  for (const sent of leads) {
    const { createdAt, optedOut, ...fields } = sent
    t.match(stored.get(sent.externalId), { ...fields, optedOut: optedOut ?? false, tags: [...new Set(sent.tags ?? [])] }, JSON.stringify(sent.externalId))
    if (createdAt !== undefined) t.equal((stored.get(sent.externalId) as { createdAt: string }).createdAt, new Date(createdAt).toISOString())
  }
  t.match(stored.get('bare'), { lastName: null, phone: null, email: null, tags: [], engagementLevel: null, icpScore: null, timezone: null, optOutSource: null })
  const optedOut = [...stored.values()].filter(lead => (lead as { optedOut: boolean }).optedOut)
  t.equal(optedOut.length, 2)
  t.match(optedOut, [{ optOutSource: 'api', optedOutAt: String }, { optOutSource: 'api', optedOutAt: String }])
  // The same leads again are all known and unchanged: what the COPY stored equals what was sent.
  const again = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads } })
  t.same(again.json(), { created: 0, updated: 0, unchanged: leads.length })
})

t.test('a COPY that fails, on the server or while its rows are made, rejects and leaves the connection usable', async t => {
  const url = await freshDatabase(t)
  const { db, pool } = createDatabase(url, 2)
  t.teardown(async () => { await db.destroy() })
  await withConnection(pool, async (_db, connection) => {
    await connection.query('create temporary table copied (n integer check (n > 0), t text, a text[])')
    t.equal(await copyFromStdin(connection, 'copy copied from stdin', [`1\t${copyText('a\\b\tc')}\t${copyText(arrayLiteral(['x"y', 'z\\']))}\n`, '2\t\\N\t{}\n']), 2)
    t.same((await connection.query('select t, a from copied order by n')).rows, [{ t: 'a\\b\tc', a: ['x"y', 'z\\'] }, { t: null, a: [] }])
    await t.rejects(copyFromStdin(connection, 'copy copied from stdin', ['3\tok\t{}\n', '0\tbad\t{}\n']), { code: '23514' })
    function * failing (): Generator<string> { yield '4\tok\t{}\n'; throw new Error('no more rows') }
    await t.rejects(copyFromStdin(connection, 'copy copied from stdin', failing()), { message: 'no more rows' })
    t.equal((await connection.query('select count(*)::int as n from copied')).rows[0].n, 2, 'the failed COPYs wrote nothing, and the connection still answers')
  })
})

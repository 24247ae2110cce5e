import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { getLead, leadsWithPhones, postInbound } from './helpers.js'

// The contract's table, written out here so a change to the code's table fails this test.
const OPT_OUT = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']
const OPT_IN = ['START', 'UNSTOP']
const HELP = ['HELP', 'INFO']
const variants = (keyword: string): string[] => [
  keyword, keyword.toLowerCase(), keyword[0] + keyword.slice(1).toLowerCase(), `  ${keyword}  `, `\n${keyword.toLowerCase()}\t`, `${keyword}\r\n`
]

t.test('every keyword in any case, with whitespace around it, is the whole body', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const { a } = await leadsWithPhones(app, headers, [{ externalId: 'a', phone: '+12133734253' }])
  const from = '(213) 373-4253'
  for (const keyword of OPT_OUT) {
    for (const body of variants(keyword)) {
      const out = await postInbound(app, headers, { from, body })
      t.same(out.json(), { id: out.json().id, action: 'opted_out', leadIds: [a], stoppedEnrollments: 0 }, `${JSON.stringify(body)} opts out`)
      t.match(await getLead(app, headers, a!), { optedOut: true, optOutSource: 'inbound' })
      const back = await postInbound(app, headers, { from, body: variants(OPT_IN[0]!)[3] })
      t.equal(back.json().action, 'opted_in')
    }
  }
  for (const keyword of OPT_IN) {
    for (const body of variants(keyword)) {
      await postInbound(app, headers, { from, body: 'stop' })
      const back = await postInbound(app, headers, { from, body })
      t.equal(back.json().action, 'opted_in', `${JSON.stringify(body)} opts in`)
      t.match(await getLead(app, headers, a!), { optedOut: false, optedOutAt: null, optOutSource: null })
    }
  }
  await postInbound(app, headers, { from, body: 'STOP' })
  const before = await getLead(app, headers, a!)
  for (const keyword of HELP) {
    for (const body of variants(keyword)) {
      t.equal((await postInbound(app, headers, { from, body })).json().action, 'help', `${JSON.stringify(body)} is help`)
    }
  }
  t.same(await getLead(app, headers, a!), before, 'HELP and INFO change nothing')
  for (const body of ['stop please', 'S T O P', 'STOP!', 'STOP STOP', 'stopp', '', 'yes', 'helpme', 'start now']) {
    t.equal((await postInbound(app, headers, { from, body })).json().action, 'reply', `${JSON.stringify(body)} is a reply`)
  }
  t.same(await getLead(app, headers, a!), before, 'a reply is no opt-in')
})

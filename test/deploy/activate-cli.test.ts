import t from 'tap'
import { runCli } from '../helpers/run-cli.js'
import { activationResult, campaignId, startActivationStandIn } from '../stand-ins/activation-endpoint.js'

// The CronJob's command, run the way the image runs it (a child process), against a stand-in of
// the internal endpoint, with no database reachable.
const SECRET = 'cron-secret-for-the-cli-test-0123'
const cli = async (args: string[], env: Record<string, string> = { CRON_SECRET: SECRET }) => await runCli(args, env)

t.test('calls while campaigns remain, with the bearer secret, printing one summary line per call', async t => {
  const standIn = await startActivationStandIn([
    { status: 200, body: activationResult(2, 3, { expired: [campaignId(11)], skipped: [campaignId(12)] }) },
    {
      status: 200,
      body: {
        ...activationResult(0, 0, { completed: [campaignId(13)] }),
        activated: [{ campaignId: campaignId(14), enrolled: 4, totalMatching: 9, warning: { totalMatching: 9, enrolled: 4, remaining: 5, reason: 'timeout', message: 'time budget spent' } }],
        continued: [{ campaignId: campaignId(15), enrolled: 7, totalMatching: 7 }],
        enrollmentsCompleted: 12
      }
    }
  ])
  t.teardown(standIn.close)
  const run = await cli(['activate', '--url', standIn.baseUrl + '/'])
  t.equal(run.code, 0, run.stderr)
  t.equal(standIn.requests.length, 2)
  for (const request of standIn.requests) {
    t.equal(request.method, 'POST')
    t.equal(request.url, '/internal/campaigns/activate-scheduled')
    t.equal(request.headers.authorization, `Bearer ${SECRET}`)
    t.equal(request.body, '', 'no body: the endpoint takes none')
  }
  t.same(run.lines, [
    { call: 1, status: 200, activated: 2, enrolled: 20, warnings: 0, expired: 1, skipped: 1, failed: 0, remaining: 3, continued: 0, completed: 0, enrollmentsCompleted: 0 },
    { call: 2, status: 200, activated: 1, enrolled: 4, warnings: 1, expired: 0, skipped: 0, failed: 0, remaining: 0, continued: 1, completed: 1, enrollmentsCompleted: 12 }
  ])
  t.notMatch(run.stdout + run.stderr, SECRET)
})

t.test('the number of calls is bounded by --max-calls', async t => {
  const standIn = await startActivationStandIn([{ status: 200, body: activationResult(1, 50) }])
  t.teardown(standIn.close)
  const run = await cli(['activate', '--url', standIn.baseUrl, '--max-calls', '3'])
  t.equal(run.code, 0, 'campaigns left over are the next run\'s work, not a failure')
  t.equal(standIn.requests.length, 3)
  t.equal(run.lines.length, 3)
  t.match(run.stderr, /stopped after 3 calls.*50 due campaign/)
})

t.test('a call that activates nothing (all skipped) ends the run instead of spinning', async t => {
  const standIn = await startActivationStandIn([{ status: 200, body: activationResult(0, 4, { skipped: [campaignId(1), campaignId(2)] }) }])
  t.teardown(standIn.close)
  const run = await cli(['activate', '--url', standIn.baseUrl])
  t.equal(run.code, 0)
  t.equal(standIn.requests.length, 1)
  t.match(run.stderr, /no progress/)
})

t.test('a failed campaign makes the run exit 1 after the remaining calls, naming the campaign', async t => {
  const standIn = await startActivationStandIn([
    { status: 200, body: activationResult(1, 1, { failed: [{ campaignId: campaignId(9), error: 'boom' }] }) },
    { status: 200, body: activationResult(1, 0) }
  ])
  t.teardown(standIn.close)
  const run = await cli(['activate', '--url', standIn.baseUrl])
  t.equal(run.code, 1)
  t.equal(standIn.requests.length, 2, 'other due campaigns are still activated')
  t.equal(run.lines[0]?.failed, 1)
  t.match(run.stderr, `campaign ${campaignId(9)} failed to activate: boom`)
  t.match(run.stderr, /1 campaign\(s\) failed/)
})

t.test('a non-2xx answer exits 1 without ever printing the secret', async t => {
  for (const status of [401, 500, 503]) {
    const standIn = await startActivationStandIn([{ status, contentType: 'application/problem+json', body: { type: 'about:blank', title: 'Nope', status, detail: `bad token ${SECRET}` } }])
    const run = await cli(['activate', '--url', standIn.baseUrl])
    await standIn.close()
    t.equal(run.code, 1, `status ${status}`)
    t.equal(standIn.requests.length, 1, 'no retry loop on an HTTP failure')
    t.match(run.stderr, new RegExp(`answered ${status} \\(Nope: bad token \\[redacted\\]\\)`))
    t.notMatch(run.stdout + run.stderr, SECRET)
    t.equal(run.stdout, '')
  }
})

t.test('a 200 with a body that is not an activation result exits 1', async t => {
  for (const body of ['<html>proxy page</html>', { activated: 'yes' }, { ...activationResult(0, 0), expired: ['not-a-uuid'] }, { remaining: 0 }]) {
    const standIn = await startActivationStandIn([{ status: 200, body }])
    const run = await cli(['activate', '--url', standIn.baseUrl])
    await standIn.close()
    t.equal(run.code, 1)
    t.match(run.stderr, /unexpected body/)
  }
})

t.test('network errors and timeouts exit 1', async t => {
  const closed = await startActivationStandIn([])
  await closed.close()
  const refused = await cli(['activate', '--url', closed.baseUrl])
  t.equal(refused.code, 1)
  t.match(refused.stderr, /failed: .*ECONNREFUSED/)

  const hanging = await startActivationStandIn(['hang'])
  t.teardown(hanging.close)
  const timedOut = await cli(['activate', '--url', hanging.baseUrl, '--timeout-ms', '300'])
  t.equal(timedOut.code, 1)
  t.match(timedOut.stderr, /no answer within 300 ms/)
  t.equal(hanging.requests.length, 1)
})

t.test('configuration and usage errors', async t => {
  const standIn = await startActivationStandIn([{ status: 200, body: activationResult(0, 0) }])
  t.teardown(standIn.close)
  const noSecret = await cli(['activate', '--url', standIn.baseUrl], {})
  t.equal(noSecret.code, 1)
  t.match(noSecret.stderr, /activate needs CRON_SECRET/)

  const shortSecret = await cli(['activate', '--url', standIn.baseUrl], { CRON_SECRET: 'short-secret' })
  t.equal(shortSecret.code, 1)
  t.match(shortSecret.stderr, /CRON_SECRET must be a string of at least 16 characters/)
  t.notMatch(shortSecret.stderr, 'short-secret')

  for (const args of [[], ['--url', 'ftp://example.test'], ['--url', 'http://user:pw@127.0.0.1:1'], ['--url', standIn.baseUrl, '--max-calls', '0'], ['--url', standIn.baseUrl, '--bogus']]) {
    const run = await cli(['activate', ...args])
    t.equal(run.code, 2, `usage error: ${args.join(' ')}`)
    t.match(run.stderr, /usage:/)
  }
  t.equal(standIn.requests.length, 0, 'nothing was called')
})

t.test('activate needs no database, while migrate does (so the check above is real)', async t => {
  const standIn = await startActivationStandIn([{ status: 200, body: activationResult(0, 0) }])
  t.teardown(standIn.close)
  const activate = await cli(['activate', '--url', standIn.baseUrl])
  t.equal(activate.code, 0, activate.stderr)
  t.same(activate.lines, [{ call: 1, status: 200, activated: 0, enrolled: 0, warnings: 0, expired: 0, skipped: 0, failed: 0, remaining: 0, continued: 0, completed: 0, enrollmentsCompleted: 0 }])
  const migrate = await cli(['migrate'])
  t.equal(migrate.code, 1)
  t.match(migrate.stderr, /no-database-here/)
})

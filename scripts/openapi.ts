// Writes openapi.yaml from the route schemas (`npm run openapi`) or fails when the committed
// file differs from what the server serves (`npm run openapi:check`, also run by the tests).
import { readFileSync, writeFileSync } from 'node:fs'
import { OPENAPI_FILE, renderOpenApi } from './render-openapi.js'

const rendered = await renderOpenApi()
if (process.argv[2] === 'write') {
  writeFileSync(OPENAPI_FILE, rendered)
  process.stdout.write('openapi.yaml written\n')
} else {
  let committed = ''
  try { committed = readFileSync(OPENAPI_FILE, 'utf8') } catch { /* no file yet: it differs */ }
  if (committed !== rendered) {
    process.stderr.write('openapi.yaml is out of date with the route schemas: run `npm run openapi` and commit the result\n')
    process.exit(1)
  }
  process.stdout.write('openapi.yaml matches the server\n')
}

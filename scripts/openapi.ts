// Writes openapi.yaml from the route schemas (`npm run openapi`) or fails when the committed
// file differs from what the server serves (`npm run openapi:check`, also run by the tests).
import { readFileSync, writeFileSync } from 'node:fs'
import { OPENAPI_FILE, PROBLEMS_FILE, renderOpenApi, renderProblemsPage } from './render-openapi.js'

// docs/problems.md comes from the same registry as the document's Problem.type enum.
const files = [{ name: 'openapi.yaml', url: OPENAPI_FILE, text: await renderOpenApi() }, { name: 'docs/problems.md', url: PROBLEMS_FILE, text: renderProblemsPage() }]
for (const file of files) {
  if (process.argv[2] === 'write') {
    writeFileSync(file.url, file.text)
    process.stdout.write(`${file.name} written\n`)
    continue
  }
  let committed = ''
  try { committed = readFileSync(file.url, 'utf8') } catch { /* no file yet: it differs */ }
  if (committed !== file.text) {
    process.stderr.write(`${file.name} is out of date with the route schemas: run \`npm run openapi\` and commit the result\n`)
    process.exit(1)
  }
  process.stdout.write(`${file.name} matches the server\n`)
}

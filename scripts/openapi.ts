// Writes openapi.yaml from the route schemas (`npm run openapi`) or fails when the committed
// file differs from what the server serves (`npm run openapi:check`, also run by the tests).
// The client example's generated types ride along: `npm run openapi:client` rewrites them alone,
// from the committed openapi.yaml.
import { readFileSync, writeFileSync } from 'node:fs'
import { CLIENT_TYPES_FILE, OPENAPI_FILE, PROBLEMS_FILE, renderClientTypes, renderOpenApi, renderProblemsPage } from './render-openapi.js'

const mode = process.argv[2]
const document = mode === 'client' ? readFileSync(OPENAPI_FILE, 'utf8') : await renderOpenApi()
// docs/problems.md comes from the same registry as the document's Problem.type enum.
const files = [
  ...(mode === 'client' ? [] : [{ name: 'openapi.yaml', url: OPENAPI_FILE, text: document }, { name: 'docs/problems.md', url: PROBLEMS_FILE, text: renderProblemsPage() }]),
  { name: 'examples/typescript-client/campaign-service.d.ts', url: CLIENT_TYPES_FILE, text: await renderClientTypes(document) }
]
for (const file of files) {
  if (mode === 'write' || mode === 'client') {
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

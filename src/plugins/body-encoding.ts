import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { HttpProblem } from '../http/problem.js'

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i

/** A body we could only misread is a 415 before anything parses it: another charset, or compressed. */
async function bodyEncoding (app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async request => {
    // JSON is UTF-8: a body declared in another charset is a media type we do not take.
    const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      throw new HttpProblem(415, 'Unsupported Media Type', `charset ${charset} is not supported; send UTF-8 JSON`)
    }
    // A compressed body would otherwise be parsed as broken JSON and called malformed.
    const encoding = request.headers['content-encoding']
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new HttpProblem(415, 'Unsupported Media Type', `Content-Encoding ${encoding} is not supported; send the body uncompressed`, { type: 'unsupported-content-encoding' })
    }
  })
}

export default fp(bodyEncoding, { name: 'body-encoding' })

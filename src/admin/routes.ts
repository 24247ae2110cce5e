import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import airtableSettingsRoutes from '../airtable/settings-routes.js'
import { requireSecret } from '../auth/hooks.js'
import { clientExists, createClientWithKey, insertApiKey, revokeApiKey } from '../clients/repository.js'
import { notFound } from '../http/problem.js'
import { NonBlank, Timestamp, Uuid, problemResponses } from '../http/schemas.js'

const security = [{ adminKey: [] }]
const CreatedClient = Type.Object({ id: Uuid, name: Type.String(), createdAt: Timestamp, apiKey: Type.String({ description: 'shown once; stored only as a hash' }), apiKeyId: Type.String({ format: 'uuid', description: 'the id of that key, to revoke it' }) })
const CreatedKey = Type.Object({ id: Uuid, apiKey: Type.String({ description: 'shown once; stored only as a hash' }) })
const ClientParams = Type.Object({ clientId: Uuid }, { additionalProperties: false })
const KeyParams = Type.Object({ clientId: Uuid, keyId: Uuid }, { additionalProperties: false })

/** Mounted under /v1/admin: every route here needs ADMIN_API_KEY (503 when it is unset). */
const adminRoutes: FastifyPluginAsyncTypebox = async app => {
  app.addHook('onRequest', requireSecret(() => app.ctx.config.ADMIN_API_KEY, 'ADMIN_API_KEY'))

  app.post('/clients', {
    schema: {
      tags: ['admin'], security, summary: 'Create a client and its first API key',
      body: Type.Object({ name: NonBlank({ maxLength: 200 }) }, { additionalProperties: false }),
      response: { 201: CreatedClient, ...problemResponses(400, 401, 503) }
    }
  }, async (request, reply) => {
    const client = await createClientWithKey(app.ctx.db, request.body.name)
    return await reply.code(201).send({ ...client, createdAt: client.createdAt.toISOString() })
  })

  app.post('/clients/:clientId/api-keys', {
    schema: { tags: ['admin'], security, summary: 'Issue another API key for a client', params: ClientParams, response: { 201: CreatedKey, ...problemResponses(400, 401, 404, 503) } }
  }, async (request, reply) => {
    if (!await clientExists(app.ctx.db, request.params.clientId)) throw notFound('client')
    return await reply.code(201).send(await insertApiKey(app.ctx.db, request.params.clientId))
  })

  app.delete('/clients/:clientId/api-keys/:keyId', {
    schema: { tags: ['admin'], security, summary: 'Revoke an API key; it is refused from then on', params: KeyParams, response: { 204: Type.Null(), ...problemResponses(400, 401, 404, 503) } }
  }, async (request, reply) => {
    const keyHash = await revokeApiKey(app.ctx.db, request.params.clientId, request.params.keyId)
    if (keyHash === undefined) throw notFound('API key')
    // Before answering: this replica refuses the key from now on (the others hear the NOTIFY).
    app.ctx.apiKeys.evict(keyHash.toString('hex'))
    return await reply.code(204).send(null)
  })

  await app.register(airtableSettingsRoutes)
}

export default adminRoutes

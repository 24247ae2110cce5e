import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import airtableSettingsRoutes from '../airtable/settings-routes.js'
import { requireSecret } from '../auth/hooks.js'
import { clientExists, createClientWithKey, insertApiKey, revokeApiKey } from '../clients/repository.js'
import { notFound } from '../http/problem.js'
import { component, noContent, ref, reply } from '../http/openapi.js'
import { NonBlank, Timestamp, Uuid, problemResponses } from '../http/schemas.js'

const security = [{ adminKey: [] }]
const CreatedClient = component('CreatedClient', Type.Object({
  id: Uuid, name: Type.String(), createdAt: Timestamp,
  apiKey: Type.String({ description: 'shown once; stored only as a hash' }),
  apiKeyId: Type.String({ format: 'uuid', description: 'the id of that key, to revoke it' })
}, { examples: [{ id: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9', name: 'Acme', createdAt: '2026-11-25T14:00:00.000Z', apiKey: 'cs_3q9V0wR8eXK2mP5tLhN7bYcD4fGjA1sZ', apiKeyId: '1b2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6' }] }))
const CreatedKey = component('CreatedApiKey', Type.Object({ id: Uuid, apiKey: Type.String({ description: 'shown once; stored only as a hash' }) }, {
  examples: [{ id: '1b2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6', apiKey: 'cs_3q9V0wR8eXK2mP5tLhN7bYcD4fGjA1sZ' }]
}))
const ClientInput = component('ClientInput', Type.Object({ name: NonBlank({ maxLength: 200 }) }, { additionalProperties: false, examples: [{ name: 'Acme' }] }))
const ClientParams = Type.Object({ clientId: Uuid }, { additionalProperties: false })
const ADMIN_503 = { 503: 'ADMIN_API_KEY is not configured (`not-configured`), or the database is unreachable' }
const NO_CLIENT = { 404: 'No client with this id' }
const KeyParams = Type.Object({ clientId: Uuid, keyId: Uuid }, { additionalProperties: false })

/** Mounted under /v1/admin: every route here needs ADMIN_API_KEY (503 when it is unset). */
const adminRoutes: FastifyPluginAsyncTypebox = async app => {
  app.addHook('onRequest', requireSecret(() => app.ctx.config.ADMIN_API_KEY, 'ADMIN_API_KEY'))

  app.post('/clients', {
    schema: {
      tags: ['admin'], security, operationId: 'createClient', summary: 'Create a client',
      description: 'Creates a client (a tenant) and its first API key; the key is shown once.',
      body: ref(ClientInput),
      response: { 201: reply('The client and its first API key', CreatedClient), ...problemResponses(400, 401, ADMIN_503) }
    }
  }, async (request, reply) => {
    const client = await createClientWithKey(app.ctx.db, request.body.name)
    return await reply.code(201).send({ ...client, createdAt: client.createdAt.toISOString() })
  })

  app.post('/clients/:clientId/api-keys', {
    schema: {
      tags: ['admin'], security, operationId: 'createApiKey', summary: 'Issue an API key',
      description: 'Issues another API key for a client (e.g. to rotate keys); it is shown once. Takes no body.',
      params: ClientParams, response: { 201: reply('The new API key', CreatedKey), ...problemResponses(400, 401, NO_CLIENT, ADMIN_503) }
    }
  }, async (request, reply) => {
    if (!await clientExists(app.ctx.db, request.params.clientId)) throw notFound('client')
    return await reply.code(201).send(await insertApiKey(app.ctx.db, request.params.clientId))
  })

  app.delete('/clients/:clientId/api-keys/:keyId', {
    schema: {
      tags: ['admin'], security, operationId: 'revokeApiKey', summary: 'Revoke an API key', description: 'The key is refused from then on.',
      params: KeyParams, response: { 204: noContent('The key is revoked'), ...problemResponses(400, 401, { 404: 'No such key for this client' }, ADMIN_503) }
    }
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

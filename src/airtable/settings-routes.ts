import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { noContent, ref, reply } from '../http/openapi.js'
import { Uuid, problemResponses } from '../http/schemas.js'
import { AirtableSettings, AirtableSettingsInput } from './settings-schemas.js'
import { deleteAirtableSettings, getAirtableSettings, putAirtableSettings } from './settings-service.js'

const security = [{ adminKey: [] }]
const params = Type.Object({ clientId: Uuid }, { additionalProperties: false })
const tags = ['admin']
const ADMIN_503 = { 503: 'ADMIN_API_KEY is not configured (`not-configured`), or the database is unreachable' }
const NO_SETTINGS = { 404: 'No client with this id, or (GET, DELETE) no Airtable settings for it' }

/** A client's Airtable mirror, registered inside the admin routes (ADMIN_API_KEY). */
const airtableSettingsRoutes: FastifyPluginAsyncTypebox = async app => {
  app.put('/clients/:clientId/airtable', {
    schema: {
      tags, security, operationId: 'setAirtableSettings', summary: 'Set a client\'s Airtable mirror',
      description: 'Sets (or replaces) the client\'s Airtable base, table and key; the key is stored encrypted and never shown again. Failures the old settings caused are queued again.',
      params, body: ref(AirtableSettingsInput),
      response: { 200: reply('The settings as stored (without the key)', AirtableSettings), ...problemResponses(400, 401, { 404: 'No client with this id', 503: 'SECRETS_KEY is not set (`secrets-key-missing`), ADMIN_API_KEY is not configured, or the database is unreachable' }) }
    }
  }, async request => await putAirtableSettings(app.ctx, request.params.clientId, request.body))

  app.get('/clients/:clientId/airtable', {
    schema: {
      tags, security, operationId: 'getAirtableSettings', summary: 'Get a client\'s Airtable mirror', description: 'The client\'s Airtable base and table (never the key).',
      params, response: { 200: reply('The settings (without the key)', AirtableSettings), ...problemResponses(400, 401, NO_SETTINGS, ADMIN_503) }
    }
  }, async request => await getAirtableSettings(app.ctx.db, request.params.clientId))

  app.delete('/clients/:clientId/airtable', {
    schema: {
      tags, security, operationId: 'deleteAirtableSettings', summary: 'Stop a client\'s Airtable mirror', description: 'Drops the client\'s Airtable settings and its waiting sync jobs.',
      params, response: { 204: noContent('The mirror is stopped'), ...problemResponses(400, 401, NO_SETTINGS, ADMIN_503) }
    }
  }, async (request, reply) => {
    await deleteAirtableSettings(app.ctx, request.params.clientId)
    return await reply.code(204).send(null)
  })
}

export default airtableSettingsRoutes

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { Uuid, problemResponses } from '../http/schemas.js'
import { AirtableSettings, AirtableSettingsInput } from './settings-schemas.js'
import { deleteAirtableSettings, getAirtableSettings, putAirtableSettings } from './settings-service.js'

const security = [{ adminKey: [] }]
const params = Type.Object({ clientId: Uuid }, { additionalProperties: false })

/** A client's Airtable mirror, registered inside the admin routes (ADMIN_API_KEY). */
const airtableSettingsRoutes: FastifyPluginAsyncTypebox = async app => {
  app.put('/clients/:clientId/airtable', {
    schema: {
      tags: ['admin'], security, summary: 'Set the client\'s Airtable base, table and key (the key is stored encrypted and never shown again)',
      params, body: AirtableSettingsInput, response: { 200: AirtableSettings, ...problemResponses(400, 401, 404, 503) }
    }
  }, async request => await putAirtableSettings(app.ctx, request.params.clientId, request.body))

  app.get('/clients/:clientId/airtable', {
    schema: { tags: ['admin'], security, summary: 'The client\'s Airtable base and table (404 when not set)', params, response: { 200: AirtableSettings, ...problemResponses(400, 401, 404, 503) } }
  }, async request => await getAirtableSettings(app.ctx.db, request.params.clientId))

  app.delete('/clients/:clientId/airtable', {
    schema: { tags: ['admin'], security, summary: 'Stop the client\'s Airtable mirror: its settings and waiting sync jobs are dropped', params, response: { 204: Type.Null(), ...problemResponses(400, 401, 404, 503) } }
  }, async (request, reply) => {
    await deleteAirtableSettings(app.ctx, request.params.clientId)
    return await reply.code(204).send(null)
  })
}

export default airtableSettingsRoutes

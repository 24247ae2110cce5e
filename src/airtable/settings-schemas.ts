import Type, { type Static } from 'typebox'
import { component } from '../http/openapi.js'
import { Timestamp } from '../http/schemas.js'

const BaseId = Type.String({ pattern: '^app[A-Za-z0-9]{14}$', maxLength: 17, description: 'the base id: app followed by 14 letters or digits (as in https://airtable.com/appXXXXXXXXXXXXXX/...)' })
const TableName = Type.String({ minLength: 1, maxLength: 100, description: 'the table holding the leads\' records (its name or tbl id)' })

export const AirtableSettingsInput = component('AirtableSettingsInput', Type.Object({
  apiKey: Type.String({ minLength: 1, maxLength: 500, description: 'a personal access token with data.records:write on the base; stored encrypted, never shown again' }),
  baseId: BaseId,
  table: TableName
}, { additionalProperties: false, examples: [{ apiKey: 'patXXXXXXXXXXXXXX.0123456789abcdef', baseId: 'appA1b2C3d4E5f6G7', table: 'Leads' }] }))
export type AirtableSettingsInput = Static<typeof AirtableSettingsInput>

export const AirtableSettings = component('AirtableSettings', Type.Object({
  baseId: BaseId,
  table: TableName,
  updatedAt: Timestamp
}, { description: 'a client\'s Airtable mirror; the key is never returned', examples: [{ baseId: 'appA1b2C3d4E5f6G7', table: 'Leads', updatedAt: '2026-11-25T14:10:00.000Z' }] }))
export type AirtableSettings = Static<typeof AirtableSettings>

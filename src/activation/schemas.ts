import Type, { type Static } from 'typebox'
import { EnrollmentWarning } from '../campaigns/schemas.js'
import { component } from '../http/openapi.js'
import { Uuid } from '../http/schemas.js'

// The answer of POST /internal/campaigns/activate-scheduled: served by routes.ts and checked
// by the `cli activate` command (src/operations/activate-command.ts) that the CronJob runs.

const Warning = Type.Object(EnrollmentWarning.properties, { description: 'present when not every matching lead was enrolled' })
export const Enrolled = Type.Object({ campaignId: Uuid, enrolled: Type.Integer(), totalMatching: Type.Integer(), warning: Type.Optional(Warning) })
export type Enrolled = Static<typeof Enrolled>

// Inline parts only (no ref()): the CLI checks answers with Value.Check, which resolves no references.
export const TickResult = component('TickResult', Type.Object({
  activated: Type.Array(Enrolled),
  expired: Type.Array(Uuid),
  skipped: Type.Array(Uuid, { description: 'being activated by another caller right now' }),
  failed: Type.Array(Type.Object({ campaignId: Uuid, error: Type.String() })),
  remaining: Type.Integer({ description: 'scheduled campaigns still due after this call; call again while > 0' }),
  continued: Type.Array(Enrolled, { description: 'active campaigns whose time-budget stop was continued' }),
  completed: Type.Array(Uuid, { description: 'campaigns completed by this call' }),
  enrollmentsCompleted: Type.Integer()
}, { examples: [{ activated: [], expired: [], skipped: [], failed: [], remaining: 0, continued: [], completed: [], enrollmentsCompleted: 0 }] }))
export type TickResult = Static<typeof TickResult>

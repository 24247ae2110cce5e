import { Ajv, type ErrorObject } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import type { FieldError } from './problem.js'

// ajv-formats ships CommonJS with a default export object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

function makeAjv (coerceTypes: boolean | 'array'): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true, strict: false })
  addFormats(ajv)
  return ajv
}

// Bodies are validated strictly: "50" is not a number and unknown fields are refused, so a typo
// in a field name fails loudly. Query strings, params and headers are text and get coerced.
const bodyAjv = makeAjv(false)
const textAjv = makeAjv('array')

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  return (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>
}

/** Turns ajv errors into `{path, message}` with slash paths such as `leads/3/firstName`. */
export function fieldErrors (errors: Array<Partial<ErrorObject>>, context: string | undefined): FieldError[] {
  const seen = new Set<string>()
  const result: FieldError[] = []
  // A failed anyOf (nullable fields, unions) also reports every branch at the same path;
  // keep one plain message for that path instead of the branch noise.
  const unionPaths = new Set(errors.filter(e => e.keyword === 'anyOf' || e.keyword === 'oneOf').map(e => e.instancePath ?? ''))
  for (const error of errors) {
    if (unionPaths.has(error.instancePath ?? '') && error.keyword !== 'anyOf' && error.keyword !== 'oneOf') continue
    let path = (error.instancePath ?? '').replace(/^\//, '')
    const params = (error.params ?? {}) as Record<string, unknown>
    let message = error.message ?? 'is invalid'
    if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
      path = path ? `${path}/${params.missingProperty}` : params.missingProperty
      message = 'is required'
    } else if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path = path ? `${path}/${params.additionalProperty}` : params.additionalProperty
      message = 'is not a known field'
    } else if (error.keyword === 'anyOf' || error.keyword === 'oneOf') {
      message = unionMessage(errors.filter(e => e.instancePath === error.instancePath && e !== error))
    } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      message = `must be one of ${params.allowedValues.map(v => JSON.stringify(v)).join(', ')}`
    }
    if (path === '') path = context ?? 'body'
    const key = `${path}\u0000${message}`
    if (seen.has(key)) continue
    seen.add(key)
    result.push({ path, message })
  }
  return result
}

/** One message for a failed union: a branch's own rule (e.g. "must be >= 1"), else the types allowed. */
function unionMessage (branches: Array<Partial<ErrorObject>>): string {
  const specific = branches.find(e => e.keyword !== 'type' && e.keyword !== 'anyOf' && e.keyword !== 'oneOf')
  if (specific?.message !== undefined) return specific.message
  const types = branches.filter(e => e.keyword === 'type').map(e => String((e.params as { type?: unknown } | undefined)?.type))
  return types.length > 0 ? `must be ${types.join(' or ')}` : 'has the wrong type or value'
}

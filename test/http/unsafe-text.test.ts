import fc from 'fast-check'
import t from 'tap'
import { MAX_JSON_DEPTH, unsafeTextErrors } from '../../src/http/validation.js'

// unsafeTextErrors first walks the value without building paths and only on a find builds the
// errors: held here to a plain reference walk (the rule as first written) on values with NUL,
// lone and paired surrogates, in keys and values, nested past the limit.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
function reference (value: unknown, path = '', depth = 0): Array<{ path: string }> {
  if (typeof value === 'string') return UNSAFE.test(value) ? [{ path }] : []
  if (value === null || typeof value !== 'object') return []
  if (depth >= MAX_JSON_DEPTH) return [{ path }]
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = path === '' ? key : `${path}/${key}`
    return UNSAFE.test(key) ? [{ path: childPath }] : reference(child, childPath, depth + 1)
  })
}

t.test('the same findings as the reference walk, in document order', async t => {
  const text = fc.array(fc.oneof(fc.constantFrom('a', 'é', '\u0000', '\uD800', '\uDC00', '\uD83D\uDE00'), fc.string({ maxLength: 3 })), { maxLength: 4 }).map(parts => parts.join(''))
  const { value } = fc.letrec<{ value: unknown }>(tie => ({
    value: fc.oneof({ depthSize: 'small', maxDepth: 6 }, text, fc.integer(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(text, tie('value'), { maxKeys: 4 }))
  }))
  const nested = (depth: number, inner: unknown): unknown => depth === 0 ? inner : { k: [nested(depth - 1, inner)] }
  t.doesNotThrow(() => {
    fc.assert(fc.property(value, fc.integer({ min: 0, max: MAX_JSON_DEPTH / 2 + 1 }), (inner, depth) => {
      const sample = nested(depth, inner)
      const found = unsafeTextErrors(sample).map(({ path }) => ({ path }))
      return JSON.stringify(found) === JSON.stringify(reference(sample))
    }), { numRuns: 3000 })
  })
  t.same(unsafeTextErrors({ ok: ['plain', 'émoji \uD83D\uDE00'] }), [])
})

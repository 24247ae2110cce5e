// COPY ... FROM STDIN of a prepared buffer, through the service's own copyFromStdin.
import type pg from 'pg'
import { copyFromStdin } from '../src/db/copy.js'

export async function copyFrom (client: pg.PoolClient | pg.Client, text: string, data: Buffer): Promise<number> {
  const chunks = function * () { for (let at = 0; at < data.length; at += 1 << 16) yield data.subarray(at, at + (1 << 16)) }
  return await copyFromStdin(client, text, chunks())
}

/** One CSV field: quoted, with quotes doubled; null is an unquoted empty field. */
export function csvField (value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return ''
  return `"${String(value).replaceAll('"', '""')}"`
}

/** A text[] literal as one CSV field. */
export function csvArray (values: string[]): string {
  return csvField(`{${values.map(value => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`)
}

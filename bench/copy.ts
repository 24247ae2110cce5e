// COPY ... FROM STDIN with the pg driver alone (no pg-copy-streams): a Submittable that answers
// the server's CopyInResponse with the data, then ends the copy.
import type pg from 'pg'

interface CopyConnection {
  query: (text: string) => void
  sendCopyFromChunk: (chunk: Buffer) => void
  endCopyFrom: () => void
}

export async function copyFrom (client: pg.PoolClient | pg.Client, text: string, data: Buffer): Promise<number> {
  return await new Promise((resolve, reject) => {
    let rows = 0
    let failed: Error | undefined
    const submittable = {
      submit: (connection: CopyConnection) => { connection.query(text) },
      handleCopyInResponse: (connection: CopyConnection) => {
        for (let at = 0; at < data.length; at += 1 << 16) connection.sendCopyFromChunk(data.subarray(at, at + (1 << 16)))
        connection.endCopyFrom()
      },
      handleCommandComplete: (message: { text: string }) => { rows = Number(message.text.split(' ')[1]) },
      handleError: (error: Error) => { failed = error },
      handleReadyForQuery: () => { if (failed !== undefined) reject(failed); else resolve(rows) }
    }
    void client.query(submittable as never)
  })
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

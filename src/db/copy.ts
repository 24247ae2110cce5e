import type pg from 'pg'

// COPY ... FROM STDIN with the pg driver alone: a Submittable (the driver's extension point, as
// pg-cursor is) that answers the server's CopyInResponse with the data.

interface CopyConnection {
  query: (text: string) => void
  sendCopyFromChunk: (chunk: Buffer) => void
  endCopyFrom: () => void
  sendCopyFail: (message: string) => void
}

/**
 * Runs `statement` (a COPY ... FROM STDIN) on `client`, sending each chunk as `chunks` yields
 * it: the server parses and inserts one while the next is made. Resolves with the number of rows
 * copied. A server error rejects; so does an error thrown by `chunks`, after the COPY is failed
 * (the transaction is then aborted and the connection usable again).
 */
export async function copyFromStdin (client: pg.ClientBase, statement: string, chunks: Iterable<string | Buffer>): Promise<number> {
  return await new Promise((resolve, reject) => {
    let rows = 0
    let thrown: Error | undefined
    const submittable = {
      submit: (connection: CopyConnection) => { connection.query(statement) },
      handleCopyInResponse: (connection: CopyConnection) => {
        try {
          for (const chunk of chunks) connection.sendCopyFromChunk(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
          connection.endCopyFrom()
        } catch (error) {
          thrown = error instanceof Error ? error : new Error(String(error))
          connection.sendCopyFail('the rows could not be made')
        }
      },
      handleCommandComplete: (message: { text: string }) => { rows = Number(message.text.split(' ')[1]) },
      // The driver hands a server error (or a lost connection) here and does not call
      // handleReadyForQuery afterwards; it sends nothing more on the connection until the server is ready.
      handleError: (error: Error) => { reject(thrown ?? error) },
      handleReadyForQuery: () => { resolve(rows) }
    }
    void client.query(submittable as unknown as pg.QueryConfig)
  })
}

/** A value for a text-format COPY field: null as \N; backslash, newline, carriage return and tab escaped. */
export function copyText (value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N'
  const text = String(value)
  return COPY_SPECIAL.test(text) ? text.replace(COPY_SPECIALS, char => COPY_ESCAPES[char] ?? char) : text
}
const COPY_SPECIAL = /[\\\n\r\t]/
const COPY_SPECIALS = /[\\\n\r\t]/g
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** A text[] literal (every element quoted, so none is read as NULL), for a COPY field through copyText. */
export function arrayLiteral (values: readonly string[]): string {
  return `{${values.map(value => `"${ARRAY_SPECIAL.test(value) ? value.replace(ARRAY_SPECIALS, '\\$&') : value}"`).join(',')}}`
}
const ARRAY_SPECIAL = /["\\]/
const ARRAY_SPECIALS = /["\\]/g

import { connect } from 'node:net'

/** Sends `request` as written (no client library to tidy it up) and returns all the server answered before closing. */
export async function rawRequest (port: number, request: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => { socket.write(request) })
    let answer = ''
    socket.on('data', chunk => { answer += chunk.toString() })
    socket.on('end', () => { resolve(answer) })
    socket.on('error', reject)
  })
}

import { STATUS_CODES } from 'node:http'
import type { FastifyServerOptions } from 'fastify'
import { requestId } from '../plugins/request-id.js'
import { sendProblem } from './error-handler.js'
import { HttpProblem } from './problem.js'
import { RequestLogs } from './request-logs.js'

/**
 * The options of Fastify's constructor both listeners share: request ids and log lines, the body limit, the
 * answers to requests that fail before any route or hook runs (problem+json like every other
 * error), and how the server closes.
 */
export const serverOptions = {
  genReqId: requestId,
  logController: new RequestLogs(),
  bodyLimit: 1024 * 1024,
  // Errors the router raises before any route runs.
  frameworkErrors: (error, _request, reply) => {
    const problem = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new HttpProblem(414, 'URI Too Long', 'a path segment is longer than 100 characters')
      : new HttpProblem(400, 'Bad Request', 'the URL is not valid (malformed percent-encoding?)')
    void sendProblem(reply, problem)
  },
  // Requests Node cannot even parse (a control character in a header, headers too large, a
  // timeout) are answered before Fastify sees them.
  clientErrorHandler: (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const [status, detail] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request took too long to arrive']
      : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'the request headers are too large'] : [400, 'the request is not valid HTTP']
    const body = JSON.stringify(new HttpProblem(status, STATUS_CODES[status] ?? 'Client Error', detail).toBody())
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    }
    socket.destroy(error)
  },
  return503OnClosing: true,
  forceCloseConnections: 'idle'
} satisfies FastifyServerOptions

import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

const READS = new Set(['GET', 'HEAD'])

/**
 * The request log lines. Every request logs `request completed` (or `request errored`) with its
 * method and url (`req`), status (`res.statusCode`), `responseTime` and `reqId`. A write also logs
 * `incoming request` as it arrives, so a long or interrupted one shows before it answers; a read
 * does not (its one line says it all, and reads are most of the traffic).
 */
export class RequestLogs extends LogController {
  override incomingRequest (request: FastifyRequest, reply: FastifyReply): void {
    if (!READS.has(request.method)) super.incomingRequest(request, reply)
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}

import { pino, type Logger } from 'pino'
import type { Config } from './config.js'

// Never log a credential: request headers that carry one, and any field named like one.
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["api-key"]',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'apiKey', '*.apiKey', 'token', '*.token', 'secret', '*.secret', 'password', '*.password'
]

export function createLogger (config: Pick<Config, 'LOG_LEVEL'>, destination: 1 | 2 = 1): Logger {
  return pino({
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'campaign-service' }
  }, pino.destination({ dest: destination, sync: false }))
}

// The carrier keywords (CTIA / TCPA practice): the whole body, trimmed, in any case.
export const OPT_OUT_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] as const
export const OPT_IN_KEYWORDS = ['START', 'UNSTOP'] as const
export const HELP_KEYWORDS = ['HELP', 'INFO'] as const

export type InboundIntent = 'opt_out' | 'opt_in' | 'help' | 'reply'

const INTENTS = new Map<string, InboundIntent>([
  ...OPT_OUT_KEYWORDS.map(k => [k, 'opt_out'] as const),
  ...OPT_IN_KEYWORDS.map(k => [k, 'opt_in'] as const),
  ...HELP_KEYWORDS.map(k => [k, 'help'] as const)
])

/** What a body asks for: a keyword only when it is the whole body ("stop it please" is a reply). */
export function intentOf (body: string): InboundIntent {
  return INTENTS.get(body.trim().toUpperCase()) ?? 'reply'
}

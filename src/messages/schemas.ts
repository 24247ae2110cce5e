import Type, { type Static } from 'typebox'
import { component, ref } from '../http/openapi.js'
import { NonBlank, StringEnum } from '../http/schemas.js'

export const DEFAULT_MAX_LENGTH = 160

export const ModelChoice = StringEnum(['auto', 'primary', 'fallback'], {
  default: 'auto', description: 'auto: the primary deployment, then the fallback on timeout, 429 or 5xx'
})
export type ModelChoice = Static<typeof ModelChoice>

export const GenerateMessageBody = component('GenerateMessageInput', Type.Object({
  prompt: NonBlank({ maxLength: 2000, description: 'what the SMS should say (not only spaces)' }),
  // One line: it goes into the rules, and a line break there could add rules of its own.
  tone: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]*\\S[^\\u0000-\\u001f\\u007f]*$', description: 'e.g. friendly, urgent (one line)' })),
  callToActionUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^[hH][tT][tT][pP][sS]?://[^/?#\\s]+', maxLength: 1000, description: 'an http(s) URL with a host; included in the message when given' })),
  maxLength: Type.Optional(Type.Integer({ format: 'int32', minimum: 20, maximum: 1600, default: DEFAULT_MAX_LENGTH, description: 'characters' })),
  model: Type.Optional(ModelChoice)
}, { additionalProperties: false, examples: [{ prompt: 'Welcome a new VIP member and invite them to book a call', tone: 'friendly', callToActionUrl: 'https://example.com/book', maxLength: 160 }] }))
export type GenerateMessageBody = Static<typeof GenerateMessageBody>

export const TokenUsage = component('TokenUsage', Type.Object({
  promptTokens: Type.Integer(),
  completionTokens: Type.Integer(),
  reasoningTokens: Type.Integer({ description: 'part of completionTokens' }),
  totalTokens: Type.Integer()
}))
export type TokenUsage = Static<typeof TokenUsage>

export const SmsEncoding = StringEnum(['GSM-7', 'UCS-2'])

export const GeneratedMessage = component('GeneratedMessage', Type.Object({
  message: Type.String({ description: 'one SMS; {{first_name}} and {{last_name}} stay as placeholders' }),
  model: Type.String({ description: 'the deployment that answered' }),
  fallbackUsed: Type.Boolean({ description: 'true when auto fell back after the primary deployment failed' }),
  usage: ref(TokenUsage),
  characters: Type.Integer({ description: 'Unicode characters (code points)' }),
  withinMaxLength: Type.Boolean({ description: 'characters <= the maxLength asked for: the model aims for it but may write more' }),
  segments: Type.Integer({ description: 'SMS parts needed to send the message as written' }),
  encoding: SmsEncoding
}, {
  examples: [{
    message: 'Hi {{first_name}}, welcome to the VIP club! Book your free call: https://example.com/book', model: 'gpt-5', fallbackUsed: false,
    usage: { promptTokens: 180, completionTokens: 420, reasoningTokens: 384, totalTokens: 600 }, characters: 88, withinMaxLength: true, segments: 1, encoding: 'GSM-7'
  }]
}))
export type GeneratedMessage = Static<typeof GeneratedMessage>

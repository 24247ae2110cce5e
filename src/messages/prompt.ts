import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { DEFAULT_MAX_LENGTH, type GenerateMessageBody } from './schemas.js'

/**
 * The chat messages for one SMS draft: the rules go in the system message, the client's brief
 * in the user message, so a brief cannot rewrite the rules by accident.
 */
export function buildChatMessages (input: GenerateMessageBody): ChatCompletionMessageParam[] {
  const maxLength = input.maxLength ?? DEFAULT_MAX_LENGTH
  const rules = [
    'You write SMS marketing messages.',
    'Reply with the text of exactly one SMS and nothing else: no quotes, no preamble, no alternatives.',
    `The SMS must be at most ${maxLength} characters long, counting every character including spaces and the link.`,
    'Address the recipient only through the placeholders {{first_name}} and {{last_name}}, written exactly like that with double curly braces; never replace them with a name or change their spelling.',
    'Prefer plain characters (no emoji, no curly quotes) unless the brief asks for them: they make the SMS cost more.',
    input.tone !== undefined ? `Tone: ${input.tone}.` : undefined,
    input.callToActionUrl !== undefined
      ? `Include this link exactly once, unchanged: ${input.callToActionUrl}`
      : 'Do not include any link.'
  ]
  return [
    { role: 'system', content: rules.filter(rule => rule !== undefined).join('\n') },
    { role: 'user', content: input.prompt }
  ]
}

// Models sometimes wrap the SMS in quotes or respell a placeholder ({{ first_name }},
// {{firstName}}, {{FIRST_NAME}}). The placeholder must reach the sender exactly as
// {{first_name}} / {{last_name}} or every lead would get the literal text.
const PLACEHOLDER = /\{\{\s*(first|last)[\s_-]?name\s*\}\}/gi
// {first_name}, [first_name] or <first_name> would reach leads as literal text.
const LOOSE_PLACEHOLDER = /(?<!\{)\{\s*(first|last)[\s_-]?name\s*\}(?!\})|\[\s*(first|last)[\s_-]?name\s*\]|<\s*(first|last)[\s_-]?name\s*>/gi
const QUOTE_PAIRS: Record<string, string> = { '"': '"', '“': '”', '\'': '\'', '‘': '’' }

/** The model's output as the SMS to return: trimmed, unwrapped, placeholders canonical. */
export function cleanModelOutput (raw: string): string {
  let text = raw.trim()
  const open = text[0]
  const close = open !== undefined ? QUOTE_PAIRS[open] : undefined
  // Unwrap only one matching pair around the whole text with no other such quote inside.
  if (close !== undefined && text.length >= 2 && text.endsWith(close) && !text.slice(1, -1).includes(close)) {
    text = text.slice(1, -1).trim()
  }
  return text
    .replace(PLACEHOLDER, (_match, which: string) => `{{${which.toLowerCase()}_name}}`)
    .replace(LOOSE_PLACEHOLDER, (_match, ...groups: Array<string | undefined>) => `{{${(groups.slice(0, 3).find(g => g !== undefined) ?? 'first').toLowerCase()}_name}}`)
}

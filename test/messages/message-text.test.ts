import t from 'tap'
import { placeholderProblem } from '../../src/campaigns/rules.js'
import { cleanModelOutput } from '../../src/messages/message-text.js'

t.test('respelled placeholders become {{first_name}} / {{last_name}}', async t => {
  t.equal(cleanModelOutput('Hi {{ first_name }} {{lastName}}!'), 'Hi {{first_name}} {{last_name}}!')
  t.equal(cleanModelOutput('Hi {{FIRST_NAME}}, {{First Name}}'), 'Hi {{first_name}}, {{first_name}}')
  t.equal(cleanModelOutput('Hi {{first_name}}'), 'Hi {{first_name}}', 'the canonical form is kept')
  // Sent as written these would reach every lead as literal text.
  t.equal(cleanModelOutput('Hi {first_name}'), 'Hi {{first_name}}', 'single braces')
  t.equal(cleanModelOutput('Hi [Last Name] and <first_name>'), 'Hi {{last_name}} and {{first_name}}', 'brackets')
  t.equal(cleanModelOutput('Hi {{first_name}} {x}'), 'Hi {{first_name}} {x}', 'other braces are left alone')
})

t.test('one pair of quotes around the whole SMS is removed, quotes inside it are kept', async t => {
  t.equal(cleanModelOutput('  "Sale today, {{first_name}}!"\n'), 'Sale today, {{first_name}}!')
  t.equal(cleanModelOutput('“Sale today!”'), 'Sale today!')
  t.equal(cleanModelOutput('"Big" news and "more"'), '"Big" news and "more"')
  t.equal(cleanModelOutput('Don\'t miss it'), 'Don\'t miss it')
  t.equal(cleanModelOutput('""'), '', 'empty quotes are an empty message')
})

t.test('text a campaign would send with literal braces is found, with the rule campaigns use', async t => {
  t.match(placeholderProblem('Hi {{name}} from {{company}}'), /unknown placeholder \{\{name\}\}/)
  t.equal(placeholderProblem('Hi {{first_name}} {{last_name}}'), undefined)
  t.equal(placeholderProblem('No placeholders {at all}'), undefined)
  t.match(placeholderProblem('Hi {{{first_name}}}'), /placeholder|unmatched/, 'handlebars-style triple braces')
  t.match(placeholderProblem('Hi {{first_name}, welcome'), /unmatched/, 'one closing brace')
  t.match(placeholderProblem('Hi first_name}}'), /unmatched/)
})

import t from 'tap'
import { cleanModelOutput } from '../../src/messages/message-text.js'

t.test('respelled placeholders become {{first_name}} / {{last_name}}', async t => {
  t.equal(cleanModelOutput('Hi {{ first_name }} {{lastName}}!'), 'Hi {{first_name}} {{last_name}}!')
  t.equal(cleanModelOutput('Hi {{FIRST_NAME}}, {{First Name}}'), 'Hi {{first_name}}, {{first_name}}')
  t.equal(cleanModelOutput('Hi {{first_name}}'), 'Hi {{first_name}}', 'the canonical form is kept')
  t.equal(cleanModelOutput('Hi {first_name}'), 'Hi {first_name}', 'single braces are not ours to guess')
})

t.test('one pair of quotes around the whole SMS is removed, quotes inside it are kept', async t => {
  t.equal(cleanModelOutput('  "Sale today, {{first_name}}!"\n'), 'Sale today, {{first_name}}!')
  t.equal(cleanModelOutput('“Sale today!”'), 'Sale today!')
  t.equal(cleanModelOutput('"Big" news and "more"'), '"Big" news and "more"')
  t.equal(cleanModelOutput('Don\'t miss it'), 'Don\'t miss it')
  t.equal(cleanModelOutput('""'), '""')
})

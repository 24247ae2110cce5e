import type { Test } from 'tap'
import { buildTestApp } from './app.js'
import { azureEnv, startAzureStandIn } from '../stand-ins/azure-openai.js'

export const PRIMARY = 'gpt-5'
export const FALLBACK = 'gpt-5-mini'
export const URL_PATH = '/v1/messages/generate'

export async function setupGeneration (t: Test, extra: Record<string, string> = {}) {
  const standIn = await startAzureStandIn(t)
  const app = await buildTestApp(t, { env: azureEnv(standIn, extra) })
  const { headers } = await app.createClient()
  const generate = async (payload: Record<string, unknown>) => await app.api.inject({ method: 'POST', url: URL_PATH, headers, payload })
  return { standIn, app, generate }
}

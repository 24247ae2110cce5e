import type { ColumnType, Generated, JSONColumnType } from 'kysely'
import type { Message, Targeting } from '../campaigns/schemas.js'
import type { SendWindow } from '../delivery/send-window.js'

// Kysely's view of the tables created in db/migrations. Timestamps are read as Date
// and written as Date or an SQL expression.
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

export interface ClientsTable {
  id: Generated<string>
  name: string
  created_at: Timestamp
}

export interface ApiKeysTable {
  id: Generated<string>
  client_id: string
  key_hash: Buffer
  key_prefix: string
  created_at: Timestamp
  revoked_at: NullableTimestamp
}

export type EngagementLevel = 'high' | 'medium' | 'low'

export interface LeadsTable {
  id: Generated<string>
  client_id: string
  external_id: string
  first_name: string
  last_name: string | null
  phone: string | null
  email: string | null
  tags: ColumnType<string[], string[] | undefined, string[]>
  engagement_level: EngagementLevel | null
  icp_score: number | null
  opted_out: ColumnType<boolean, boolean | undefined, boolean>
  /** When and how the lead last opted out (migration 0012); both null while opted in. */
  opted_out_at: NullableTimestamp
  opt_out_source: 'api' | 'inbound' | null
  airtable_record_id: string | null
  /** IANA name; send windows are read in it (0010). */
  timezone: ColumnType<string | null, string | null | undefined, string | null>
  created_at: Timestamp
  updated_at: Timestamp
  enroll_rank: ColumnType<number, never, never>
}

export type CampaignStatus = 'scheduled' | 'active' | 'completed' | 'expired' | 'cancelled'

export interface CampaignsTable {
  id: Generated<string>
  client_id: string
  name: string
  status: CampaignStatus
  targeting: JSONColumnType<Targeting>
  messages: JSONColumnType<Message[]>
  total_delay_minutes: number
  start_at: NullableTimestamp
  max_leads_to_enroll: number | null
  leads_enrolled: Generated<number>
  enrollment_pending: Generated<boolean>
  /** A SendWindow, or null (0010). */
  send_window: JSONColumnType<SendWindow | null, string | null | undefined, string | null>
  created_at: Timestamp
  updated_at: Timestamp
  activated_at: NullableTimestamp
  ended_at: NullableTimestamp
  /** An inbound reply stops the lead's active enrollment in this campaign (migration 0012). */
  stop_on_reply: Generated<boolean>
}

export type EnrollmentStatus = 'active' | 'completed' | 'stopped'

export interface EnrollmentsTable {
  campaign_id: string
  lead_id: string
  client_id: string
  status: ColumnType<EnrollmentStatus, EnrollmentStatus | undefined, EnrollmentStatus>
  enrolled_at: Timestamp
  completes_at: Timestamp
  ended_at: NullableTimestamp
  stop_reason: ColumnType<EnrollmentStopReason | null, EnrollmentStopReason | null | undefined, EnrollmentStopReason | null>
  /** The message that comes next (null once ended). */
  next_step: ColumnType<number | null, number | null | undefined, number | null>
  /** When next_step is due before any send window, until its delivery row exists (then null). */
  next_due_at: NullableTimestamp
}

export type EnrollmentStopReason = 'opted_out' | 'campaign_cancelled' | 'replied' | 'delivery_failed'
export type DeliveryStatus = 'pending' | 'leased' | 'sent' | 'failed' | 'skipped'

export interface DeliveriesTable {
  id: Generated<string>
  client_id: string
  campaign_id: string
  lead_id: string
  step: number
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>
  due_at: Timestamp
  attempts: Generated<number>
  lease_expires_at: NullableTimestamp
  /** The phone and the rendered body, as handed out by the last claim. */
  recipient: string | null
  body: string | null
  sent_at: NullableTimestamp
  provider_message_id: string | null
  error: string | null
  skip_reason: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface IdempotencyKeysTable {
  client_id: string
  scope: string
  key: string
  request_hash: string
  state: 'running' | 'done' | 'released'
  response_status: number | null
  response_body: ColumnType<unknown, string | null | undefined, string | null>
  created_at: Timestamp
  /** The id of what the request creates, fixed at the first claim (migration 0008). */
  resource_id: Generated<string>
}

export interface AirtableSyncFailuresTable {
  id: Generated<string>
  client_id: string
  /** Null for a batch of leads never enrolled (only their `Opted Out` checkbox is mirrored, 0015). */
  campaign_id: string | null
  lead_ids: string[]
  attempts: number
  last_error: string
  failed_at: Timestamp
  /** Set when retried or overtaken by a later sync; purged a day later. Unresolved rows are the kept failures. */
  resolved_at: NullableTimestamp
  /** The client's Airtable settings were refused (401/403, unknown base or table): a new PUT queues it again (0009). */
  configuration: Generated<boolean>
}

/** One row per client that mirrors into Airtable (0009); the key only as AES-256-GCM ciphertext. */
export interface ClientAirtableSettingsTable {
  client_id: string
  base_id: string
  table_name: string
  /** iv (12 bytes) | auth tag (16 bytes) | ciphertext, additional data: the client id. */
  api_key_ciphertext: Buffer
  /** Which SECRETS_KEY encrypted it (a fingerprint, not the key). */
  key_id: string
  updated_at: Timestamp
}

export type InboundAction = 'opted_out' | 'opted_in' | 'help' | 'reply' | 'unknown_sender'

/** Every inbound message a client posted, with what it did (migration 0012). */
export interface InboundMessagesTable {
  id: string
  client_id: string
  from_phone: string
  body: string
  action: InboundAction
  lead_ids: string[]
  /** The campaigns whose enrollments this message stopped (campaign stats count replies and opt-outs from it). */
  stopped_campaign_ids: string[]
  stopped_enrollments: number
  received_at: Timestamp
  processed_at: Timestamp
}

export interface DB {
  clients: ClientsTable
  api_keys: ApiKeysTable
  leads: LeadsTable
  campaigns: CampaignsTable
  enrollments: EnrollmentsTable
  deliveries: DeliveriesTable
  idempotency_keys: IdempotencyKeysTable
  airtable_sync_failures: AirtableSyncFailuresTable
  inbound_messages: InboundMessagesTable
  client_airtable_settings: ClientAirtableSettingsTable
}

/** Row types of the main DB, as migrations/main creates them. Times are epoch milliseconds. */
import type { Generated } from 'kysely';

export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  slug: string;
  created_at: number;
  /** NULL for projects made by the CLI before any team existed: superusers only. */
  team_id: number | null;
}

export interface ProjectKeysTable {
  id: Generated<number>;
  project_id: number;
  public_key: string;
  label: string;
  is_active: Generated<number>;
  created_at: number;
}

/** One row, bumped by triggers on project_keys, so workers notice key changes with one tiny read. */
export interface KeyVersionTable {
  id: number;
  version: number;
}

export interface IssuesTable {
  id: Generated<number>;
  project_id: number;
  grouping_hash: string;
  grouping_key: string;
  title: string;
  culprit: string;
  type: string | null;
  value: string | null;
  level: string;
  platform: string;
  first_seen: number;
  last_seen: number;
  event_count: number;
  /** 'unresolved' | 'resolved' | 'muted' (muted issues are unresolved ones nobody wants to hear about). */
  status: Generated<string>;
  resolved_at: number | null;
  resolved_in_release: string | null;
  resolved_after_release: string | null;
  muted_at: number | null;
  muted_until: number | null;
  mute_count: number | null;
  mute_window_ms: number | null;
  muted_after_event: number | null;
}

export interface EventsTable {
  id: Generated<number>;
  project_id: number;
  event_id: string;
  issue_id: number;
  timestamp: number;
  received_at: number;
  level: string;
  release: string | null;
  environment: string | null;
  data: string;
}

export interface IssueHourlyTable {
  issue_id: number;
  /** Epoch hour: floor(ms / 3_600_000). */
  hour: number;
  count: number;
}

export interface IssueTagsTable {
  issue_id: number;
  key: string;
  value: string;
  count: number;
  first_seen: number;
  last_seen: number;
}

/** One row (id = 1): issue_tags holds the tag counts of every event up to this events.id. */
export interface DigestStateTable {
  id: number;
  tags_through_event: number;
}

export interface ReleasesTable {
  id: Generated<number>;
  project_id: number;
  version: string;
  first_seen: number;
  last_seen: number;
}

export interface EnvironmentsTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  first_seen: number;
  last_seen: number;
}

export interface UsersTable {
  id: Generated<number>;
  /** Lower-cased; unique. */
  email: string;
  /** `scrypt$N$r$p$salt$hash` (see users/passwords.ts); NULL until a password is set. */
  password_hash: string | null;
  is_superuser: Generated<number>;
  email_verified_at: number | null;
  created_at: number;
}

export interface SessionsTable {
  id: Generated<number>;
  /** SHA-256 (hex) of the cookie's token. */
  token_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface TeamsTable {
  id: Generated<number>;
  name: string;
  slug: string;
  created_at: number;
}

export type TeamRole = 'admin' | 'member';

export interface TeamMembersTable {
  team_id: number;
  user_id: number;
  role: TeamRole;
  created_at: number;
}

export interface InvitationsTable {
  id: Generated<number>;
  team_id: number;
  token_hash: string;
  role: TeamRole;
  email: string | null;
  created_by: number | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by: number | null;
  /** 1 when the link was mailed to `email`: accepting it verifies that address. */
  mailed: Generated<number>;
}

export interface PasswordTokensTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** 1 when the link was mailed (forgotten password): redeeming it verifies the address. */
  mailed: Generated<number>;
}

export interface EmailTokensTable {
  id: Generated<number>;
  user_id: number;
  email: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface SignInFailuresTable {
  /** `email:…` or `ip:…`. */
  subject: string;
  failures: number;
  window_start: number;
  /** 0 when not locked. */
  locked_until: number;
}

export type HistoryKind = 'first_seen' | 'resolved' | 'muted' | 'unmuted' | 'regressed' | 'reopened' | 'deleted';

export interface IssueHistoryTable {
  id: Generated<number>;
  issue_id: number;
  project_id: number;
  kind: HistoryKind;
  /** NULL when the system made the change. */
  user_id: number | null;
  /** JSON: release, mute condition, title of a deleted issue… */
  details: Generated<string>;
  created_at: number;
}

export interface ProjectAlertSettingsTable {
  project_id: number;
  on_new_issue: Generated<number>;
  on_regression: Generated<number>;
  on_unmute: Generated<number>;
}

export interface AlertOptoutsTable {
  project_id: number;
  user_id: number;
}

export type MailState = 'pending' | 'sent' | 'failed' | 'summarized' | 'unsent';

export interface MailOutboxTable {
  id: Generated<number>;
  /** 'alert' | 'summary' | 'password_reset' | 'invitation' */
  kind: string;
  project_id: number | null;
  issue_id: number | null;
  to_email: string;
  /** JSON: what the mail says, captured when the mail was decided. */
  payload: string;
  state: Generated<MailState>;
  attempts: Generated<number>;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface MainSchema {
  projects: ProjectsTable;
  project_keys: ProjectKeysTable;
  key_version: KeyVersionTable;
  issues: IssuesTable;
  events: EventsTable;
  issue_hourly: IssueHourlyTable;
  issue_tags: IssueTagsTable;
  digest_state: DigestStateTable;
  releases: ReleasesTable;
  environments: EnvironmentsTable;
  issue_history: IssueHistoryTable;
  project_alert_settings: ProjectAlertSettingsTable;
  alert_optouts: AlertOptoutsTable;
  mail_outbox: MailOutboxTable;
  email_tokens: EmailTokensTable;
  users: UsersTable;
  sessions: SessionsTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  invitations: InvitationsTable;
  password_tokens: PasswordTokensTable;
  sign_in_failures: SignInFailuresTable;
}

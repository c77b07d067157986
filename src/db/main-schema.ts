/** Row types of the main DB, as migrations/main creates them. Times are epoch milliseconds. */
import type { Generated } from 'kysely';

export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  slug: string;
  created_at: number;
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
  status: Generated<string>;
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

export interface MainSchema {
  projects: ProjectsTable;
  project_keys: ProjectKeysTable;
  key_version: KeyVersionTable;
  issues: IssuesTable;
  events: EventsTable;
  issue_hourly: IssueHourlyTable;
  issue_tags: IssueTagsTable;
  releases: ReleasesTable;
  environments: EnvironmentsTable;
}

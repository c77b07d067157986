/** Query module for who gets which alerts: per-project switches and per-person opt-outs. */
import type { MainDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';
import type { MailState } from '../db/main-schema.js';

export interface AlertSettings {
  onNewIssue: boolean;
  onRegression: boolean;
  onUnmute: boolean;
}

export function alertSettings(db: MainDb, projectId: number): AlertSettings {
  const row = db.first(db.kysely.selectFrom('project_alert_settings').selectAll().where('project_id', '=', projectId));
  return row
    ? { onNewIssue: row.on_new_issue === 1, onRegression: row.on_regression === 1, onUnmute: row.on_unmute === 1 }
    : { onNewIssue: true, onRegression: true, onUnmute: true };
}

export function setAlertSettings(db: MainDb, projectId: number, s: AlertSettings): void {
  const values = { on_new_issue: s.onNewIssue ? 1 : 0, on_regression: s.onRegression ? 1 : 0, on_unmute: s.onUnmute ? 1 : 0 };
  writeTransaction(db.sqlite, 'alerts.settings', () => {
    db.run(
      db.kysely
        .insertInto('project_alert_settings')
        .values({ project_id: projectId, ...values })
        .onConflict((oc) => oc.column('project_id').doUpdateSet(values)),
    );
  });
}

export function optedOut(db: MainDb, projectId: number, userId: number): boolean {
  return !!db.first(db.kysely.selectFrom('alert_optouts').select('user_id').where('project_id', '=', projectId).where('user_id', '=', userId));
}

export function setOptOut(db: MainDb, projectId: number, userId: number, out: boolean): void {
  writeTransaction(db.sqlite, 'alerts.optout', () => {
    if (out) db.run(db.kysely.insertInto('alert_optouts').values({ project_id: projectId, user_id: userId }).onConflict((oc) => oc.doNothing()));
    else db.run(db.kysely.deleteFrom('alert_optouts').where('project_id', '=', projectId).where('user_id', '=', userId));
  });
}

export interface OutboxRow {
  id: number;
  kind: string;
  to_email: string;
  state: MailState;
  attempts: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
  next_attempt_at: number;
}

/** For the admin page: counts per state, and the mails that need a look (not sent, newest first). */
export function outboxOverview(db: MainDb, limit = 100): { counts: Record<string, number>; attention: OutboxRow[] } {
  const counts: Record<string, number> = {};
  for (const r of db.all(db.kysely.selectFrom('mail_outbox').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state'))) {
    counts[r.state] = Number(r.n);
  }
  const attention = db.all(
    db.kysely
      .selectFrom('mail_outbox')
      .select(['id', 'kind', 'to_email', 'state', 'attempts', 'last_error', 'created_at', 'sent_at', 'next_attempt_at'])
      .where('state', 'in', ['failed', 'unsent', 'pending'])
      .orderBy('id', 'desc')
      .limit(limit),
  );
  return { counts, attention };
}

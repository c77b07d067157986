/**
 * Putting mail in the outbox. Always called inside the write transaction of
 * the change that causes the mail, so there is no change without its mail and
 * no mail without its change; the foreman sends it later (outbox-sender.ts).
 */
import { sql } from 'kysely';
import type { MainDb } from '../db/open.js';
import type { AlertPayload, AlertTrigger } from './alert-payload.js';

export type MailKind = 'alert' | 'summary' | 'password_reset' | 'set_password' | 'invitation' | 'verify_email';

export function queueMail(
  db: MainDb,
  mail: { kind: MailKind; to: string; payload: object; projectId?: number | null; issueId?: number | null },
  now = Date.now(),
): void {
  if (!db.sqlite.inTransaction) throw new Error('queueMail must run inside the transaction of the change it reports');
  db.run(
    db.kysely.insertInto('mail_outbox').values({
      kind: mail.kind,
      project_id: mail.projectId ?? null,
      issue_id: mail.issueId ?? null,
      to_email: mail.to,
      payload: JSON.stringify(mail.payload),
      next_attempt_at: now,
      created_at: now,
    }),
  );
}

const SETTING: Record<AlertTrigger, 'on_new_issue' | 'on_regression' | 'on_unmute'> = {
  new_issue: 'on_new_issue',
  regression: 'on_regression',
  unmute: 'on_unmute',
};

/** Is this trigger switched on for the project? On unless a settings row says otherwise. */
export function alertEnabled(db: MainDb, projectId: number, trigger: AlertTrigger): boolean {
  const row = db.first(db.kysely.selectFrom('project_alert_settings').selectAll().where('project_id', '=', projectId));
  return row ? row[SETTING[trigger]] === 1 : true;
}

/** The project's team members with a verified address who have not opted out. */
export function alertRecipients(db: MainDb, projectId: number): string[] {
  return db
    .all(
      db.kysely
        .selectFrom('projects as p')
        .innerJoin('team_members as m', 'm.team_id', 'p.team_id')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select('u.email')
        .where('p.id', '=', projectId)
        .where('u.email_verified_at', 'is not', null)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('alert_optouts as o')
                .select(sql.lit(1).as('one'))
                .whereRef('o.project_id', '=', 'p.id')
                .whereRef('o.user_id', '=', 'u.id'),
            ),
          ),
        )
        .orderBy('u.email'),
    )
    .map((r) => r.email);
}

/** Queues one mail per recipient; returns how many. */
export function queueAlert(db: MainDb, payload: AlertPayload, now = Date.now()): number {
  if (!alertEnabled(db, payload.projectId, payload.trigger)) return 0;
  const recipients = alertRecipients(db, payload.projectId);
  for (const to of recipients) queueMail(db, { kind: 'alert', to, payload, projectId: payload.projectId, issueId: payload.issueId }, now);
  return recipients.length;
}

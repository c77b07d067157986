/**
 * The foreman's mail loop: sends what the outbox holds, a few at a time.
 *
 * - Failures are retried with doubling delays; after ALERT_MAX_ATTEMPTS a mail is
 *   marked failed, with its last error, for admins to see.
 * - Past ALERT_HOURLY_CAP alert mails to one person within an hour, further alerts
 *   are folded into one summary mail sent when the hour is over. Mails on their way
 *   count too, so a batch sent at once cannot overshoot the cap; and every folded
 *   alert is reported by exactly one summary (see #sent).
 * - A link mail whose link died while it waited (expired, used, replaced) is not
 *   sent but marked failed with the reason (link-liveness.ts).
 * - Delivery is at least once: a mail is marked sent after the SMTP server took it,
 *   so a crash between the two sends it again after the restart.
 * - Without SMTP settings nothing is sent: mails are marked unsent with the reason.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { MainDb } from '../db/open.js';
import type { MailState } from '../db/main-schema.js';
import { writeTransaction } from '../db/transaction.js';
import type { AlertPayload } from './alert-payload.js';
import { deadLinkReason, LINK_KINDS, type LinkKind } from './link-liveness.js';
import { alertMail, linkMail, summaryMail, type LinkPayload } from './mail-content.js';
import type { Mail, Mailer } from './mailer.js';
import { queueMail } from './queue-mail.js';

const HOUR_MS = 3_600_000;
const MAX_RETRY_DELAY_MS = HOUR_MS;
export const NO_SMTP = 'no SMTP server is configured (set EMAIL_HOST and friends); the mail was not sent';

interface OutboxRow {
  id: number;
  kind: string;
  to_email: string;
  payload: string;
  attempts: number;
}

export class OutboxSender {
  readonly #inFlight = new Set<number>();
  /** Alerts and summaries being handed to the SMTP server now, per address: they count against the cap. */
  readonly #sending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly config: Config,
    private readonly db: MainDb,
    private readonly mailer: Mailer | undefined,
    private readonly log: Logger,
  ) {}

  /**
   * Mails marked unsent while there was no SMTP server get their chance once there
   * is one (link mails whose link died meanwhile are then marked failed, not sent).
   */
  start(pollMs: number): void {
    if (this.mailer) {
      writeTransaction(this.db.sqlite, 'outbox.revive', () =>
        this.db.run(this.db.kysely.updateTable('mail_outbox').set({ state: 'pending' as MailState, next_attempt_at: Date.now(), last_error: null }).where('state', '=', 'unsent')),
      );
    }
    this.#timer = setInterval(() => this.wake(), pollMs);
    this.#timer.unref();
    this.wake();
  }

  /** Looks at the outbox now (after a digest that queued alerts, say). */
  wake(): void {
    if (this.#stopped || this.#running) return;
    this.#running = this.#drain().finally(() => (this.#running = undefined));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  async #drain(): Promise<void> {
    for (;;) {
      const due = this.#due(Date.now());
      if (due.length === 0) return;
      if (!this.mailer) {
        this.#mark(due.map((r) => r.id), { state: 'unsent', last_error: NO_SMTP });
        continue;
      }
      await Promise.all(due.map((row) => this.#deliver(row)));
    }
  }

  #due(now: number): OutboxRow[] {
    const limit = this.config.alerts.concurrency;
    return this.db.all(
      this.db.kysely
        .selectFrom('mail_outbox')
        .select(['id', 'kind', 'to_email', 'payload', 'attempts'])
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(limit),
    );
  }

  #mark(ids: number[], set: { state?: MailState; last_error?: string | null; sent_at?: number; next_attempt_at?: number; attempts?: number }): void {
    writeTransaction(this.db.sqlite, 'outbox.mark', () =>
      this.db.run(this.db.kysely.updateTable('mail_outbox').set(set).where('id', 'in', ids)),
    );
  }

  /** Alerts and summaries sent to this address within the last hour. */
  #sentLastHour(to: string, now: number): number {
    const row = this.db.first(
      this.db.kysely
        .selectFrom('mail_outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('to_email', '=', to)
        .where('kind', 'in', ['alert', 'summary'])
        .where('sent_at', '>=', now - HOUR_MS),
    );
    return Number(row?.n ?? 0);
  }

  /** Past the cap: fold the alert into the recipient's pending summary, due when the hour is over. */
  #fold(row: OutboxRow, now: number): void {
    writeTransaction(this.db.sqlite, 'outbox.fold', () => {
      this.db.run(this.db.kysely.updateTable('mail_outbox').set({ state: 'summarized' }).where('id', '=', row.id));
      const pending = this.db.first(
        this.db.kysely.selectFrom('mail_outbox').select('id').where('kind', '=', 'summary').where('to_email', '=', row.to_email).where('state', '=', 'pending'),
      );
      if (!pending) queueMail(this.db, { kind: 'summary', to: row.to_email, payload: {} }, now + HOUR_MS);
    });
  }

  /** The folded alerts a summary reports: summarized, and not yet reported (sent_at unset). */
  #folded(to: string): Array<{ id: number; payload: AlertPayload }> {
    return this.db
      .all(
        this.db.kysely
          .selectFrom('mail_outbox')
          .select(['id', 'payload'])
          .where('to_email', '=', to)
          .where('state', '=', 'summarized')
          .where('sent_at', 'is', null)
          .orderBy('id'),
      )
      .map((r) => ({ id: r.id, payload: JSON.parse(r.payload) as AlertPayload }));
  }

  async #deliver(row: OutboxRow): Promise<void> {
    if (this.#inFlight.has(row.id)) return;
    this.#inFlight.add(row.id);
    const now = Date.now();
    try {
      if (row.kind === 'alert' && this.#sentLastHour(row.to_email, now) + (this.#sending.get(row.to_email) ?? 0) >= this.config.alerts.hourlyCap) {
        this.#fold(row, now);
        return;
      }
      const dead = LINK_KINDS.includes(row.kind) ? deadLinkReason(this.db, row.kind as LinkKind, (JSON.parse(row.payload) as LinkPayload).url, now) : undefined;
      if (dead) {
        this.log.warn({ mail: row.id, kind: row.kind, reason: dead }, 'outbox: not sending a dead link');
        this.#mark([row.id], { state: 'failed', last_error: dead });
        return;
      }
      const folded = row.kind === 'summary' ? this.#folded(row.to_email) : [];
      const mail = this.#render(row, folded);
      if (!mail) {
        this.#mark([row.id], { state: 'sent', sent_at: now, last_error: 'nothing to report' });
        return;
      }
      const counted = row.kind === 'alert' || row.kind === 'summary';
      // Counted from here, before the first await: the next mail of this batch sees it.
      if (counted) this.#sending.set(row.to_email, (this.#sending.get(row.to_email) ?? 0) + 1);
      try {
        await this.mailer!.send(mail);
      } catch (err) {
        this.#failed(row, err);
        return;
      } finally {
        if (counted) this.#uncount(row.to_email);
      }
      this.#sent(row, folded.map((f) => f.id));
    } catch (err) {
      // Not a delivery failure but a bug or a bad row: mark it failed so that the loop
      // does not pick it up again forever, and keep the reason for the admin page.
      this.log.error({ err, mail: row.id }, 'outbox: could not process a mail');
      try {
        this.#mark([row.id], { state: 'failed', attempts: row.attempts + 1, last_error: `could not process: ${err instanceof Error ? err.message : String(err)}` });
      } catch (markErr) {
        this.log.error({ err: markErr, mail: row.id }, 'outbox: could not mark a mail failed');
      }
    } finally {
      this.#inFlight.delete(row.id);
    }
  }

  #uncount(to: string): void {
    const n = (this.#sending.get(to) ?? 1) - 1;
    if (n > 0) this.#sending.set(to, n);
    else this.#sending.delete(to);
  }

  /**
   * Marks a mail sent, and a summary's alerts reported. Alerts folded while the
   * summary was on its way found it still pending and queued none of their own:
   * queue the next summary for them now, so that none is left unreported.
   */
  #sent(row: OutboxRow, reported: number[]): void {
    const sentAt = Date.now();
    writeTransaction(this.db.sqlite, 'outbox.sent', () => {
      this.db.run(this.db.kysely.updateTable('mail_outbox').set({ state: 'sent', sent_at: sentAt, attempts: row.attempts + 1, last_error: null }).where('id', '=', row.id));
      if (row.kind !== 'summary') return;
      if (reported.length) this.db.run(this.db.kysely.updateTable('mail_outbox').set({ sent_at: sentAt }).where('id', 'in', reported));
      const left = this.db.first(
        this.db.kysely.selectFrom('mail_outbox').select('id').where('to_email', '=', row.to_email).where('state', '=', 'summarized').where('sent_at', 'is', null),
      );
      const next = this.db.first(
        this.db.kysely.selectFrom('mail_outbox').select('id').where('kind', '=', 'summary').where('to_email', '=', row.to_email).where('state', '=', 'pending'),
      );
      if (left && !next) queueMail(this.db, { kind: 'summary', to: row.to_email, payload: {} }, sentAt + HOUR_MS);
    });
  }

  #render(row: OutboxRow, folded: Array<{ payload: AlertPayload }>): Mail | undefined {
    const base = this.config.baseUrl;
    switch (row.kind) {
      case 'alert':
        return alertMail(row.to_email, JSON.parse(row.payload) as AlertPayload, base);
      case 'summary':
        return folded.length ? summaryMail(row.to_email, folded.map((f) => f.payload), base) : undefined;
      case 'password_reset':
      case 'set_password':
      case 'invitation':
      case 'verify_email':
        return linkMail(row.to_email, row.kind, JSON.parse(row.payload) as LinkPayload);
      default:
        throw new Error(`unknown mail kind ${row.kind}`);
    }
  }

  #failed(row: OutboxRow, err: unknown): void {
    const attempts = row.attempts + 1;
    const message = err instanceof Error ? err.message : String(err);
    const { maxAttempts, retryBaseMs } = this.config.alerts;
    if (attempts >= maxAttempts) {
      this.log.error({ mail: row.id, to: row.to_email, attempts, error: message }, 'outbox: giving up on a mail');
      this.#mark([row.id], { state: 'failed', attempts, last_error: message });
      return;
    }
    const delay = Math.min(MAX_RETRY_DELAY_MS, retryBaseMs * 2 ** (attempts - 1));
    this.log.warn({ mail: row.id, attempts, retryInMs: delay, error: message }, 'outbox: sending failed; will retry');
    this.#mark([row.id], { attempts, last_error: message, next_attempt_at: Date.now() + delay });
  }
}

/**
 * A real SMTP server on loopback (smtp-server) that keeps what it receives,
 * for asserting on mail (PocketBase's tests/mailer.go does the same job).
 * stop() and start() on the same port simulate an SMTP outage.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  raw: string;
}

export class MailSink {
  readonly messages: ReceivedMail[] = [];
  /** While true, each mail waits unanswered at the end of its DATA until release(). */
  hold = false;
  readonly #held: Array<() => void> = [];
  /** The most SMTP sessions seen at once between connecting and having their mail accepted. */
  maxSending = 0;
  #sending = 0;
  readonly #done = new Set<string>();
  #server: SMTPServer | undefined;
  #port = 0;

  /** Mails being held now (see hold). */
  get held(): number {
    return this.#held.length;
  }

  /** SMTP sessions connected now whose mail is not yet accepted. */
  get sending(): number {
    return this.#sending;
  }

  /** Accepts every held mail. */
  release(): void {
    for (const accept of this.#held.splice(0)) accept();
  }

  #finished(sessionId: string): void {
    if (this.#done.has(sessionId)) return;
    this.#done.add(sessionId);
    this.#sending--;
  }

  get port(): number {
    return this.#port;
  }

  /** Environment for a Sluice process to send here. */
  env(): Record<string, string> {
    return { EMAIL_HOST: '127.0.0.1', EMAIL_PORT: String(this.#port), EMAIL_FROM: 'Sluice <sluice@test.local>' };
  }

  async start(port = this.#port): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onConnect: (session, callback) => {
        this.#sending++;
        this.maxSending = Math.max(this.maxSending, this.#sending);
        callback();
      },
      onClose: (session) => this.#finished(session.id),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw)
            .then((m) => {
              this.messages.push({
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
                subject: m.subject ?? '',
                text: m.text ?? '',
                html: typeof m.html === 'string' ? m.html : '',
                raw,
              });
              const accept = () => {
                this.#finished(session.id);
                callback();
              };
              if (this.hold) this.#held.push(accept);
              else accept();
            })
            .catch(callback);
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.server.address() as AddressInfo).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    this.release();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Waits until at least `n` messages arrived (or throws after `timeoutMs`). */
  async waitFor(n: number, timeoutMs = 20_000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} mails, got ${this.messages.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.messages;
  }
}

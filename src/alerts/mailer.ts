/** nodemailer, configured from EMAIL_* (see config.ts); undefined when no SMTP server is set. */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Config } from '../config.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

type Smtp = NonNullable<Config['email']['smtp']>;

/** nodemailer's options for EMAIL_*: STARTTLS `require` refuses a server without it, `off` never tries it. */
export function transportOptions(smtp: Smtp): SMTPTransport.Options {
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.starttls === 'require',
    ignoreTLS: smtp.starttls === 'off',
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    // Fail fast on a dead server: the outbox retries later anyway.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  };
}

export function createMailer(config: Config): Mailer | undefined {
  const smtp = config.email.smtp;
  if (!smtp) return undefined;
  const transport: Transporter = nodemailer.createTransport(transportOptions(smtp));
  return {
    async send(mail) {
      await transport.sendMail({ from: config.email.from, ...mail });
    },
    close() {
      transport.close();
    },
  };
}

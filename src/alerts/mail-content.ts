/**
 * The words of each mail, as text and HTML. Everything in an alert comes from
 * an event, which anybody with the DSN can write: every value is escaped in
 * the HTML part, and links are built only from BASE_URL and numbers.
 */
import type { Mail } from './mailer.js';
import type { AlertPayload, AlertTrigger } from './alert-payload.js';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Subjects are one line: a title with a newline would start a header. */
function oneLine(s: string, max = 150): string {
  const line = s.replace(/[\r\n\t]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const TRIGGER: Record<AlertTrigger, { label: string; why: string }> = {
  new_issue: { label: 'New issue', why: 'This error was seen for the first time.' },
  regression: { label: 'Regression', why: 'This issue was resolved, and it happened again.' },
  unmute: { label: 'Unmuted', why: 'This issue was muted, and its mute condition has been met.' },
};

function page(title: string, body: string): string {
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1f2328;max-width:640px">
<h2 style="margin:0 0 12px;font-size:18px">${esc(title)}</h2>${body}
<p style="color:#6e7781;font-size:12px;margin-top:24px">Sent by Sluice.</p></body></html>`;
}

export function alertMail(to: string, p: AlertPayload, baseUrl: string): Mail {
  const t = TRIGGER[p.trigger];
  const url = `${baseUrl}${p.path}`;
  const facts: Array<[string, string]> = [
    ['Project', p.projectName],
    ['Culprit', p.culprit || '—'],
    ['Level', p.level],
    ['Events', String(p.eventCount)],
    ...(p.release ? [['Release', p.release] as [string, string]] : []),
    ...(p.environment ? [['Environment', p.environment] as [string, string]] : []),
  ];
  const text = [
    `${t.label} in ${p.projectName}: ${p.title}`,
    t.why,
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    ...(p.frames.length ? ['', 'Stack (newest first):', ...p.frames.map((f) => `  ${f}`)] : []),
    '',
    `Open the issue: ${url}`,
  ].join('\n');
  const html = page(
    `${t.label}: ${p.title}`,
    `<p>${esc(t.why)}</p>
<table style="border-collapse:collapse;font-size:14px">${facts
      .map(([k, v]) => `<tr><td style="color:#6e7781;padding:2px 12px 2px 0">${esc(k)}</td><td>${esc(v)}</td></tr>`)
      .join('')}</table>
${p.frames.length ? `<pre style="background:#f6f8fa;padding:8px;font-size:12px;overflow:auto">${p.frames.map(esc).join('\n')}</pre>` : ''}
<p><a href="${esc(url)}" style="background:#0969da;color:#fff;padding:8px 14px;border-radius:6px;text-decoration:none">Open the issue</a></p>`,
  );
  return { to, subject: oneLine(`[Sluice] ${p.projectName}: ${t.label} — ${p.title}`), text, html };
}

export function summaryMail(to: string, alerts: AlertPayload[], baseUrl: string): Mail {
  const lines = alerts.map((a) => `${TRIGGER[a.trigger].label}: ${a.projectName}: ${a.title} — ${baseUrl}${a.path}`);
  const text = [
    `${alerts.length} more alert${alerts.length === 1 ? '' : 's'} came in after your hourly limit was reached:`,
    '',
    ...lines,
  ].join('\n');
  const html = page(
    `${alerts.length} more alerts`,
    `<p>These came in after your hourly limit was reached:</p><ul>${alerts
      .map((a) => `<li>${esc(TRIGGER[a.trigger].label)}: ${esc(a.projectName)}: <a href="${esc(baseUrl + a.path)}">${esc(a.title)}</a></li>`)
      .join('')}</ul>`,
  );
  return { to, subject: `[Sluice] ${alerts.length} more alert${alerts.length === 1 ? '' : 's'} in the last hour`, text, html };
}

export interface LinkPayload {
  /** An absolute link, made by the web worker from BASE_URL. */
  url: string;
  teamName?: string;
  invitedBy?: string;
}

const LINK_WORDS = {
  password_reset: { title: () => 'Set your Sluice password', why: () => 'Use this link to set a new password. If you did not ask for it, ignore this mail.' },
  set_password: {
    title: () => 'Set your Sluice password',
    why: (p: LinkPayload) => `${p.invitedBy ?? 'A Sluice administrator'} sent you this link to set the password of your Sluice account.`,
  },
  verify_email: { title: () => 'Confirm your address for Sluice', why: () => 'Open this link to confirm that alert mails reach you at this address.' },
  invitation: {
    title: (p: LinkPayload) => `You are invited to ${p.teamName ?? 'a team'} on Sluice`,
    why: (p: LinkPayload) => `${p.invitedBy ?? 'Someone'} invited you to the team ${p.teamName ?? ''} on Sluice.`,
  },
} as const;

export function linkMail(to: string, kind: keyof typeof LINK_WORDS, p: LinkPayload): Mail {
  const title = LINK_WORDS[kind].title(p);
  const why = LINK_WORDS[kind].why(p);
  return {
    to,
    subject: oneLine(`[Sluice] ${title}`),
    text: `${why}\n\n${p.url}\n\nThe link works once and expires.`,
    html: page(title, `<p>${esc(why)}</p><p><a href="${esc(p.url)}">${esc(p.url)}</a></p><p>The link works once and expires.</p>`),
  };
}

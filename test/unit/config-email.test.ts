// EMAIL_* settings: parsed from the environment, and what they tell nodemailer.
import { describe, expect, it } from 'vitest';
import { transportOptions } from '../../src/alerts/mailer.js';
import { loadConfig } from '../../src/config.js';

const base = { DATA_DIR: '/tmp/sluice-config-test', BASE_URL: 'https://errors.example.com' };
const smtp = (env: Record<string, string>) => loadConfig({ ...base, EMAIL_HOST: 'smtp.example.com', ...env }).email.smtp!;

describe('EMAIL_* settings', () => {
  it('without EMAIL_HOST there is no SMTP server, and the sender is on the host of BASE_URL', () => {
    const c = loadConfig({ ...base, EMAIL_PORT: '2525', EMAIL_SECURE: 'true' });
    expect(c.email.smtp).toBeUndefined();
    expect(c.email.from).toBe('Sluice <sluice@errors.example.com>');
    expect(loadConfig({ ...base, EMAIL_HOST: '  ' }).email.smtp).toBeUndefined();
  });

  it('defaults to port 587 with opportunistic STARTTLS, no authentication', () => {
    expect(smtp({})).toEqual({ host: 'smtp.example.com', port: 587, user: undefined, password: undefined, secure: false, starttls: 'opportunistic' });
  });

  it('EMAIL_SECURE=true is TLS from the first byte, on port 465 unless EMAIL_PORT says otherwise', () => {
    expect(smtp({ EMAIL_SECURE: 'true' })).toMatchObject({ secure: true, port: 465 });
    expect(smtp({ EMAIL_SECURE: 'TRUE', EMAIL_PORT: '2465' })).toMatchObject({ secure: true, port: 2465 });
    expect(smtp({ EMAIL_SECURE: 'false' })).toMatchObject({ secure: false, port: 587 });
  });

  it.each(['require', 'opportunistic', 'off', 'Require'])('EMAIL_STARTTLS=%s', (v) => {
    expect(smtp({ EMAIL_STARTTLS: v }).starttls).toBe(v.toLowerCase());
  });

  it('names the variable of an invalid value', () => {
    expect(() => smtp({ EMAIL_SECURE: 'yes please' })).toThrow(/EMAIL_SECURE.*true, false/);
    expect(() => smtp({ EMAIL_STARTTLS: 'maybe' })).toThrow(/EMAIL_STARTTLS.*require, opportunistic, off/);
    expect(() => smtp({ EMAIL_PORT: '0' })).toThrow(/EMAIL_PORT/);
  });

  it('keeps the user and password as given', () => {
    expect(smtp({ EMAIL_USER: ' alerts@example.com ', EMAIL_PASSWORD: ' secret ' })).toMatchObject({ user: 'alerts@example.com', password: ' secret ' });
  });
});

describe('what nodemailer is told', () => {
  it.each([
    [{}, { secure: false, requireTLS: false, ignoreTLS: false }],
    [{ EMAIL_STARTTLS: 'require' }, { secure: false, requireTLS: true, ignoreTLS: false }],
    [{ EMAIL_STARTTLS: 'off' }, { secure: false, requireTLS: false, ignoreTLS: true }],
    [{ EMAIL_SECURE: 'true' }, { secure: true, port: 465, requireTLS: false, ignoreTLS: false }],
  ])('%o', (env, expected) => {
    expect(transportOptions(smtp(env))).toMatchObject({ host: 'smtp.example.com', ...expected });
  });

  it('authenticates only with a user', () => {
    expect(transportOptions(smtp({})).auth).toBeUndefined();
    expect(transportOptions(smtp({ EMAIL_USER: 'u', EMAIL_PASSWORD: 'p' })).auth).toEqual({ user: 'u', pass: 'p' });
  });
});

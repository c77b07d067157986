import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const base = { DATA_DIR: '/tmp/sluice-config-test' };

describe('account settings', () => {
  it('defaults to closed registration, no initial superuser, 14-day sessions, cookies by scheme', () => {
    const c = loadConfig(base);
    expect(c.accounts).toEqual({ registration: 'closed', createSuperuser: undefined, sessionLifetimeMs: 14 * 86_400_000, secureCookies: false });
    expect(loadConfig({ ...base, BASE_URL: 'https://errors.example.com' }).accounts.secureCookies).toBe(true);
  });

  it('reads USER_REGISTRATION, CREATE_SUPERUSER and SESSION_LIFETIME', () => {
    const c = loadConfig({ ...base, USER_REGISTRATION: 'Invite', CREATE_SUPERUSER: 'Admin@Example.com:pass:with:colons', SESSION_LIFETIME: '12h' });
    expect(c.accounts.registration).toBe('invite');
    expect(c.accounts.createSuperuser).toEqual({ email: 'admin@example.com', password: 'pass:with:colons' });
    expect(c.accounts.sessionLifetimeMs).toBe(12 * 3_600_000);
  });

  it('names the variable of an invalid value', () => {
    expect(() => loadConfig({ ...base, USER_REGISTRATION: 'sometimes' })).toThrow(/USER_REGISTRATION.*closed, invite, open/);
    expect(() => loadConfig({ ...base, SESSION_LIFETIME: 'forever' })).toThrow(/SESSION_LIFETIME/);
    expect(() => loadConfig({ ...base, SESSION_LIFETIME: '10s' })).toThrow(/SESSION_LIFETIME/);
  });

  it('refuses a bad CREATE_SUPERUSER without repeating the secret', () => {
    for (const value of ['no-colon-here', 'not-an-email:long-enough-password', 'a@b.c:short']) {
      let message = '';
      try {
        loadConfig({ ...base, CREATE_SUPERUSER: value });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/CREATE_SUPERUSER/);
      expect(message).not.toContain(value.split(':')[1] ?? value);
    }
  });
});

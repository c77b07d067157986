import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const base = { DATA_DIR: '/tmp/sluice-config-test' };

describe('TRUST_PROXY', () => {
  it('trusts no proxy by default', () => {
    expect(loadConfig(base).trustProxy).toBe(false);
    expect(loadConfig({ ...base, TRUST_PROXY: ' ' }).trustProxy).toBe(false);
  });

  it.each([
    ['false', false],
    ['TRUE', true],
    ['127.0.0.1', '127.0.0.1'],
    ['10.0.0.0/8, 192.168.1.1', '10.0.0.0/8,192.168.1.1'],
    ['::1,fd00::/8', '::1,fd00::/8'],
    ['loopback,uniquelocal', 'loopback,uniquelocal'],
  ])('%j → %j', (value, expected) => {
    expect(loadConfig({ ...base, TRUST_PROXY: value }).trustProxy).toBe(expected);
  });

  it.each(['2', 'yes', '10.0.0.0/33', '::1/129', 'proxy.example.com', '10.0.0.1/8/8', '10.0.0.1,'])('refuses %j, naming the variable', (value) => {
    expect(() => loadConfig({ ...base, TRUST_PROXY: value })).toThrow(/TRUST_PROXY/);
  });
});

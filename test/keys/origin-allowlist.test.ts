/**
 * The origin allow-list matcher (originAllowed in src/settings.ts) that guards every
 * request a key provider makes with the machine's credentials, on adversarial URLs:
 * entries and candidates are compared as parsed URLs (scheme, host, effective port,
 * path at a segment boundary), never as text prefixes; userinfo, other schemes,
 * unparsable or control-character candidates are never allowed. Also the
 * KEYWARD_AMBIENT_CREDENTIALS switch and its yes/no semantics.
 */

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { ambientCredentials, originAllowed, Settings } from '../../src/settings.js';

const cases = (list: string, rows: [string, boolean][]) =>
  rows.map(([candidate, allowed]) => ({ list, candidate, allowed }));

describe('originAllowed', () => {
  it.each([
    ...cases('https://vault.example.com', [
      ['https://vault.example.com/v1/transit/keys/k', true],
      ['https://vault.example.com', true],
      ['https://vault.example.com:443/v1/x', true],
      ['HTTPS://VAULT.Example.COM/v1/x', true],
      ['https://vault.example.com./v1/x', true],
      ['https://vault.example.com.evil.net/v1/x', false],
      ['https://vault.example.com.evil.net', false],
      ['https://evil.net/https://vault.example.com', false],
      ['https://evil.net/?https://vault.example.com', false],
      ['https://evil.net#https://vault.example.com', false],
      ['https://vault.example.com@evil.net', false],
      ['https://vault.example.com:x@evil.net', false],
      ['https://evil.net\\@vault.example.com', false],
      ['https://vault.example.com\\@evil.net', false],
      ['https://vault.example.com:8200/v1/x', false],
      ['http://vault.example.com/v1/x', false],
      ['https://sub.vault.example.com/v1/x', false],
      ['https://example.com', false],
      ['https://vault.example.com../', false],
      ['https://vault.exa\nmple.com/', false],
      ['https://vault.example.com\t/', false],
      [' https://vault.example.com', false],
      ['https://*.example.com', false],
      ['ftp://vault.example.com', false],
      ['file:///etc/passwd', false],
      ['vault.example.com', false],
      ['https://', false],
      ['', false],
    ]),
    ...cases('https://vault.example.com:443', [
      ['https://vault.example.com/x', true],
      ['https://vault.example.com:8443/x', false],
    ]),
    ...cases('http://vault.example.com:80', [
      ['http://vault.example.com/x', true],
      ['http://vault.example.com:80/x', true],
      ['https://vault.example.com/x', false],
      ['http://vault.example.com:443/x', false],
    ]),
    ...cases('http://vault.example.com:8200', [
      ['http://vault.example.com:8200/v1', true],
      ['http://vault.example.com/v1', false],
      ['http://vault.example.com:82000/v1', false],
    ]),
    ...cases('https://*.example.com', [
      ['https://vault.example.com/x', true],
      ['https://a.b.example.com/x', true],
      ['https://example.com/x', false],
      ['https://evilexample.com/x', false],
      ['https://vault.example.com.evil.net/x', false],
      ['https://vault.example.com:8443/x', false],
      ['http://vault.example.com/x', false],
    ]),
    ...cases('http://[::1]:8200', [
      ['http://[0:0:0:0:0:0:0:1]:8200/v1', true],
      ['http://[::1]:8200', true],
      ['http://[::2]:8200', false],
      ['http://[::1]:8201', false],
      ['http://[::1]', false],
    ]),
    ...cases('http://127.0.0.1:8200', [
      ['http://127.1:8200/v1', true],
      ['http://127.0.0.2:8200/v1', false],
      ['http://127.0.0.1.nip.io:8200/v1', false],
    ]),
    ...cases('https://vault.example.com/v1/team-a', [
      ['https://vault.example.com/v1/team-a/keys/k', true],
      ['https://vault.example.com/v1/team-a', true],
      ['https://vault.example.com/v1/team-ab/keys/k', false],
      ['https://vault.example.com/v1/team-a/../team-b/keys/k', false],
      ['https://vault.example.com/v1/team-a/%2e%2e/team-b/keys/k', false],
      ['https://vault.example.com/v1/team-a/%2E%2E%2Fteam-b/keys/k', false],
      ['https://vault.example.com/v1/team-a%2F..%2Fteam-b/keys/k', false],
      ['https://vault.example.com/v1', false],
      ['https://vault.example.com/', false],
      ['https://vault.example.com.evil.net/v1/team-a/keys/k', false],
    ]),
    ...cases('https://vault.example.com/v1/team-a/', [
      ['https://vault.example.com/v1/team-a/keys/k', true],
      ['https://vault.example.com/v1/team-ab/keys/k', false],
    ]),
    ...cases(' https://a.example , https://b.example:8200 ,', [
      ['https://a.example/x', true],
      ['https://b.example:8200/x', true],
      ['https://b.example/x', false],
      ['https://c.example/x', false],
    ]),
    ...cases('ALL', [
      ['https://anything.example/x', true],
      ['http://10.0.0.1:8200', true],
      ['http://allowed@evil.example', false],
      ['http://allowed\\@evil.example', false],
      ['gopher://x.example', false],
      ['not a url', false],
    ]),
    ...cases(' none ', [['https://vault.example.com', false]]),
    ...cases('', [['https://vault.example.com', false]]),
  ])('$list: $candidate → $allowed', ({ list, candidate, allowed }) => {
    expect(originAllowed(candidate, list, 'TEST_ALLOWLIST')).toBe(allowed);
  });

  it.each([
    'vault.example.com',
    'https://user@vault.example.com',
    'https://vault.example.com/?q=1',
    'https://vault.example.com/#f',
    'https://*',
    'https://a*.example.com',
    'https://*.*.example.com',
    'https://vault..example.com',
    'ftp://vault.example.com',
    'https://vault.example.com\\x',
  ])('a malformed entry %j is a ConfigError naming the setting', (entry) => {
    const err = (() => {
      try {
        originAllowed('https://vault.example.com', `https://ok.example,${entry}`, 'TEST_ALLOWLIST');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^settings: TEST_ALLOWLIST entry .* is not an http\(s\) URL/);
  });
});

describe('KEYWARD_AMBIENT_CREDENTIALS', () => {
  it.each([
    [undefined, true],
    ['', true],
    ['on', true],
    ['yes', true],
    ['TRUE', true],
    ['1', true],
    ['off', false],
    ['false', false],
    ['no', false],
    ['0', false],
    ['OFF', false],
    ['nope', false],
  ])('%j → %s', (value, on) => {
    const settings = Settings.fromRecord({ KEYWARD_AMBIENT_CREDENTIALS: value });
    expect(ambientCredentials(settings)).toBe(on);
  });
});

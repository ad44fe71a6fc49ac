import { describe, expect, it } from 'vitest';
import { profileHosts } from '../../src/lang/mirror.js';
import type { Profile } from '../../src/lang/schema.js';

describe('profileHosts: what setup doctor asks of a mirror profile', () => {
  it('every host of a space-separated extra-index-url, not just the first', () => {
    const p = {
      name: 'two',
      pip: {
        'index-url': 'http://a.test/simple',
        'extra-index-url': 'http://b.test/simple https://c.test:8443/simple',
      },
    } as unknown as Profile;
    expect(profileHosts(p)).toEqual(['http://a.test', 'http://b.test', 'https://c.test:8443']);
  });
  it('a file:// pip index as its folder (it must exist), other file:// values left out', () => {
    const p = {
      name: 'local',
      pip: { 'index-url': 'file:///opt/pypi/simple', 'extra-index-url': 'file:///opt/more/simple' },
      urls: { rewrite: { 'https://example.com/': 'file:///srv/dl-' } },
    } as unknown as Profile;
    expect(profileHosts(p)).toEqual(['file:///opt/pypi/simple', 'file:///opt/more/simple']);
  });
});

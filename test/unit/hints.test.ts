import { describe, expect, it } from 'vitest';
import { failureHint } from '../../src/run/hints.js';

describe('failure hints', () => {
  it('a commit the remote does not have (a hand-edited or stale lock) is said to be missing from it', () => {
    expect(failureHint(128, ['fatal: remote error: upload-pack: not our ref ' + 'a'.repeat(40)])).toMatch(
      /^the commit asked for \(a locked one\?\) is not in the repository or mirror/,
    );
    expect(failureHint(128, [`fatal: reference is not a tree: ${'b'.repeat(40)}`])).toMatch(/not in the repository/);
  });
  it('no hint for an unknown cause', () => {
    expect(failureHint(1, ['something else'])).toBeUndefined();
  });
});

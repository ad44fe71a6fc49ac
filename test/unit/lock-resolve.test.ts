import { describe, expect, it } from 'vitest';
import { formatLock, LOCK_FORMAT, parseLock, type Lock } from '../../src/plan/lock-file.js';
import { formatRequirements, pipTargets } from '../../src/plan/requirements.js';
import { remoteRefCommit } from '../../src/steps/git/parse.js';
import { parseAptPolicy } from '../../src/steps/packages/lock.js';
import { parseInstallReport } from '../../src/steps/pip/resolve-lock.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('what --resolve reads from each tool', () => {
  it('pip: a dry run report — names canonical, sha256 from hashes or the older hash field', () => {
    const report = JSON.stringify({
      version: '1',
      environment: { python_full_version: '3.11.7' },
      install: [
        {
          metadata: { name: 'Envkit_Demo.A', version: '2.0' },
          download_info: { archive_info: { hashes: { sha256: A } } },
        },
        {
          metadata: { name: 'envkit-demo-b', version: '0.5' },
          download_info: { archive_info: { hash: `sha256=${B}` } },
        },
        { metadata: { name: 'local-thing', version: '1.0' }, download_info: { dir_info: {} } },
      ],
    });
    expect(parseInstallReport(report)).toEqual({
      python: '3.11.7',
      distributions: { 'envkit-demo-a': '2.0', 'envkit-demo-b': '0.5', 'local-thing': '1.0' },
      hashes: { 'envkit-demo-a': A, 'envkit-demo-b': B },
    });
    expect(() => parseInstallReport('{}')).toThrow(/not a pip installation report/);
  });

  it('git: ls-remote — a branch tip, an annotated tag peeled, a lightweight tag, nothing', () => {
    const out = [
      `${'1'.repeat(40)}\trefs/heads/main`,
      `${'2'.repeat(40)}\trefs/tags/v1.0`,
      `${'3'.repeat(40)}\trefs/tags/v1.0^{}`,
      `${'4'.repeat(40)}\trefs/tags/light`,
    ].join('\n');
    expect(remoteRefCommit('main', out)).toBe('1'.repeat(40));
    expect(remoteRefCommit('v1.0', out)).toBe('3'.repeat(40));
    expect(remoteRefCommit('light', out)).toBe('4'.repeat(40));
    expect(remoteRefCommit('v2', out)).toBeUndefined();
  });

  it('apt: apt-cache policy — installed and candidate, (none) left out', () => {
    const out =
      'curl:\n  Installed: (none)\n  Candidate: 7.88.1-10+deb12u5\n  Version table:\n     7.88.1-10+deb12u5 500\n' +
      'coreutils:\n  Installed: 9.1-1\n  Candidate: 9.1-1\n' +
      'awk:\n  Installed: (none)\n  Candidate: (none)\n';
    expect(parseAptPolicy(out)).toEqual(
      new Map([
        ['curl', { candidate: '7.88.1-10+deb12u5' }],
        ['coreutils', { installed: '9.1-1', candidate: '9.1-1' }],
        ['awk', {}],
      ]),
    );
  });
});

describe('a resolved lock', () => {
  const lock: Lock = {
    format: LOCK_FORMAT,
    recipes: {
      app: [
        {
          step: 2,
          kind: 'pip',
          resolved: true,
          installed: { venv: '/v', python: '3.11.7', distributions: { b: '0.5', a: '2.0' }, hashes: { a: A } },
        },
        { step: 3, kind: 'pip', name: 'more', resolved: true, installed: { venv: '/v', distributions: { c: '1' } } },
        { step: 4, kind: 'pip', installed: { interpreter: '/usr/bin/python3', distributions: { pip: '23', x: '1' } } },
      ],
    },
  };

  it('says resolved: true per step and reads it back', () => {
    const text = formatLock(lock);
    expect(text).toContain('    resolved: true\n');
    expect(parseLock(text, 'x.lock').recipes.app![0]!.resolved).toBe(true);
    expect(() => parseLock('format: 1\nrecipes: { a: [ { step: 1, kind: pip, resolved: false } ] }\n', 'x')).toThrow();
  });

  it('as requirements: one target per venv or interpreter, steps added up, pins sorted, hashes where known', () => {
    const targets = pipTargets(lock, ['app']);
    expect(targets.map((t) => [t.path, t.kind, t.steps])).toEqual([
      ['/v', 'venv', ['app#2', 'app#3 (more)']],
      ['/usr/bin/python3', 'interpreter', ['app#4']],
    ]);
    const text = formatRequirements(targets[0]!, { hashes: true });
    expect(text.split('\n')).toEqual([
      '# venv /v (python 3.11.7): what pip would install (setup lock --resolve)',
      '# written by setup lock --format requirements, from app#2, app#3 (more)',
      '# no sha256 known for b, c: pip --require-hashes will refuse this file',
      'a==2.0 \\',
      `    --hash=sha256:${A}`,
      'b==0.5',
      'c==1',
      '',
    ]);
    // Installed (not resolved): like pip freeze, without pip itself.
    expect(formatRequirements(targets[1]!, { hashes: false }).split('\n').slice(2)).toEqual(['x==1', '']);
  });
});

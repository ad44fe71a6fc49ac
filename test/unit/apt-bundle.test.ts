import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  closure,
  parseAptDepends,
  parseAptShow,
  parseBaseSystem,
  parseReverseProvides,
} from '../../src/steps/packages/apt-depends.js';
import { debFileName, packagesIndex, repositoryFiles, type DebEntry } from '../../src/steps/packages/apt-index.js';
import { privateApt, sourcesLine } from '../../src/steps/packages/apt-repo.js';
import { FactStore } from '../../src/facts/store.js';
import { packagesKind } from '../../src/steps/packages.js';
import { resolveAptSet } from '../../src/steps/packages/bundle.js';
import type { ResolvedStep, StepEnv } from '../../src/steps/types.js';
import { Memo } from '../../src/util/memo.js';
import type { Runner } from '../../src/util/process.js';

const fixture = (name: string): string =>
  fs.readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'apt', name), 'utf8');

describe('apt-cache depends, parsed', () => {
  it('reads packages, their dependency groups (| = or the next), and the providers of virtual names', () => {
    const g = parseAptDepends(fixture('depends-ucf.txt'));
    expect(g.get('ucf')).toEqual([
      [
        { name: 'debconf', virtual: false, providers: [] },
        { name: 'debconf-2.0', virtual: true, providers: ['cdebconf', 'debconf'] },
      ],
      [{ name: 'sensible-utils', virtual: false, providers: [] }],
    ]);
    expect(g.get('debconf')).toEqual([]);
    expect(g.get('cdebconf')?.length).toBe(8);
  });

  it('strips :any from a name (perl:any is perl) and keeps PreDepends', () => {
    const g = parseAptDepends(fixture('depends-cowsay.txt'));
    expect(g.get('cowsay')![1]).toEqual([{ name: 'perl', virtual: true, providers: ['perl'] }]);
    expect(g.get('perl')![0]).toEqual([{ name: 'dpkg', virtual: false, providers: [] }]);
  });

  it('follows only the alternative it picks: ucf needs debconf, not cdebconf and its libraries', () => {
    const g = parseAptDepends(fixture('depends-ucf.txt'));
    const none = { leaveOut: () => false, installed: () => false };
    expect(closure(g, ['ucf'], none)).toEqual(['ucf', 'debconf', 'sensible-utils']);
  });

  it('leaves out the base system and what only it needs; a virtual name takes an installed provider', () => {
    const g = parseAptDepends(fixture('depends-cowsay.txt'));
    const base = new Set(closure(g, ['perl-base', 'dpkg'], { leaveOut: () => false, installed: () => false }));
    expect(base.has('libc6')).toBe(true);
    const set = closure(g, ['cowsay'], { leaveOut: (n) => base.has(n), installed: () => false });
    expect(set).toEqual([
      'cowsay',
      'libtext-charwidth-perl',
      'perl',
      'perl-modules-5.36',
      'libperl5.36',
      'libdb5.3',
      'libgdbm-compat4',
      'libgdbm6',
    ]);
    expect(set).not.toContain('libc6');
    const virtual = parseAptDepends('app\n  Depends: <awk>\n    gawk\n    mawk\ngawk\nmawk\n');
    expect(closure(virtual, ['app'], { leaveOut: () => false, installed: (n) => n === 'mawk' })).toEqual([
      'app',
      'mawk',
    ]);
    expect(closure(virtual, ['app'], { leaveOut: () => false, installed: () => false })).toEqual(['app', 'gawk']);
  });

  it('skips an alternative apt does not know and takes the next', () => {
    const g = parseAptDepends('app\n |Depends: gone\n  Depends: here\nhere\n');
    expect(closure(g, ['app'], { leaveOut: () => false, installed: () => false })).toEqual(['app', 'here']);
  });
});

describe('apt records', () => {
  it('reads apt-cache show: version, architecture, archive file, size, sha256', () => {
    const r = parseAptShow(fixture('show-fortune.txt'));
    expect(r.get('fortune-mod')).toEqual({
      package: 'fortune-mod',
      version: '1:1.99.1-7.3',
      arch: 'amd64',
      filename: 'pool/main/f/fortune-mod/fortune-mod_1.99.1-7.3_amd64.deb',
      size: 38296,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(r.get('librecode0')?.version).toBe('3.6-25');
    expect(debFileName(r.get('fortune-mod')!.filename)).toBe('fortune-mod_1.99.1-7.3_amd64.deb');
  });

  it('skips a record with no archive file (installed, known only from dpkg status)', () => {
    expect(parseAptShow('Package: a\nVersion: 1\nStatus: install ok installed\n').size).toBe(0);
  });

  it('the base system: installed packages that are Essential or required', () => {
    const text =
      'bash\tyes\trequired\tii \nlibc6\tno\toptional\tii \nmawk\tno\trequired\tii \nold\tyes\trequired\trc \n';
    expect(parseBaseSystem(text)).toEqual(['bash', 'mawk']);
  });

  it('the providers of a virtual name, from apt-cache showpkg', () => {
    expect(parseReverseProvides(fixture('showpkg-awk.txt'))).toEqual(['original-awk', 'mawk', 'gawk']);
    expect(parseReverseProvides('Package: x\n')).toEqual([]);
  });
});

describe('the flat repository index', () => {
  const entries: DebEntry[] = [
    { control: 'Package: b\nVersion: 1:2.0\nArchitecture: all\n', file: 'b_2.0_all.deb', size: 20, sha256: 'bb' },
    { control: 'Package: a\nVersion: 1.0\nDescription: x\n more\n', file: 'a_1.0_amd64.deb', size: 10, sha256: 'aa' },
  ];

  it('writes each .deb’s control fields with Filename, Size and SHA256, sorted by file', () => {
    expect(packagesIndex(entries)).toBe(
      'Package: a\nVersion: 1.0\nDescription: x\n more\nFilename: ./a_1.0_amd64.deb\nSize: 10\nSHA256: aa\n\n' +
        'Package: b\nVersion: 1:2.0\nArchitecture: all\nFilename: ./b_2.0_all.deb\nSize: 20\nSHA256: bb\n',
    );
  });

  it('Packages.gz is Packages, Release lists both with their sha256 and size, the same bytes every time', () => {
    const files = repositoryFiles(entries, new Date(0));
    const packages = files.get('Packages')!;
    expect(gunzipSync(files.get('Packages.gz')!).equals(packages)).toBe(true);
    const release = files.get('Release')!.toString();
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    expect(release).toContain(` ${sha(packages)} ${packages.length} Packages\n`);
    expect(release).toContain(` ${sha(files.get('Packages.gz')!)} ${files.get('Packages.gz')!.length} Packages.gz\n`);
    expect(release).toContain('Date: Thu, 01 Jan 1970 00:00:00 +0000\n');
    expect(repositoryFiles([...entries].reverse(), new Date(0))).toEqual(files);
  });
});

describe('apt with only a private repository', () => {
  it('a sources line for the folder, and options that keep apt off the host’s sources, lists and cache', () => {
    expect(sourcesLine('/srv/bundle/apt')).toBe('deb [trusted=yes] file:/srv/bundle/apt ./\n');
    expect(sourcesLine('/srv/my bundle/apt')).toBe('deb [trusted=yes] file:/srv/my%20bundle/apt ./\n');
    const p = privateApt('/srv/bundle/apt', '/home/u/.cache/envkit');
    expect(p.root).toMatch(/^\/home\/u\/\.cache\/envkit\/apt\/[0-9a-f]{16}$/);
    expect(p.options.filter((o) => o !== '-o')).toEqual([
      `Dir::Etc::SourceList=${p.root}/sources.list`,
      `Dir::Etc::SourceParts=${p.root}/sources.list.d`,
      `Dir::State::Lists=${p.root}/lists`,
      `Dir::Cache=${p.root}/cache`,
      'APT::Sandbox::User=root',
    ]);
    expect(privateApt('/other/apt', '/home/u/.cache/envkit').root).not.toBe(p.root);
  });
});

describe('the bundle hook on hosts it cannot bundle for', () => {
  const runner: Runner = {
    run: () =>
      Promise.resolve({
        exitCode: 0,
        signal: null,
        timedOut: false,
        aborted: false,
        stdout: '',
        stderr: '',
        durationMs: 0,
      }),
  };
  const env = (pm: string): StepEnv =>
    ({
      runner,
      facts: new FactStore(runner, {}, '/nonexistent', { distro: 'fedora', distro_version: '40', pkg_manager: pm }),
      memo: new Memo(),
      profile: { name: 'default' },
      paths: { cache: '/nonexistent' },
    }) as unknown as StepEnv;
  const step = (packages: unknown[]): ResolvedStep<never> =>
    ({ config: { packages, update: false } }) as unknown as ResolvedStep<never>;
  const ctx = (pm: string) => ({ dir: '/nonexistent', env: env(pm), checkOnly: false, progress: () => undefined });

  it('dnf (and yum, brew): says plainly that bundling them is not supported yet, and fetches nothing', async () => {
    const r = await packagesKind.bundle!(step(['gcc', { dnf: 'mesa-libGL', default: 'libgl1' }]), ctx('dnf'));
    expect(r).toEqual({
      items: [],
      missing: [
        'packages: bundling dnf packages is not supported yet (only apt): install gcc, mesa-libGL on the target another way',
      ],
      profile: {},
    });
  });

  it('an entry with no name for this host is named, not skipped silently', async () => {
    const r = await packagesKind.bundle!(step([{ debian: 'libgl1' }]), ctx('dnf'));
    expect(r.missing).toEqual([
      'packages: no package named for this host in {"debian":"libgl1"}: add a key for it or "default"',
    ]);
  });
});

describe('the set a packages step bundles', () => {
  it('a named package whose locked version only dpkg status knows (the archive moved on) is unresolved, not left out', async () => {
    // apt-cache knows jq at the lock's version only from the status file: no Filename, no .deb to carry.
    const runner: Runner = {
      run: (req) => {
        const cmd = req.argv.join(' ');
        const stdout = cmd.startsWith('apt-cache depends')
          ? 'jq\n  Depends: libjq1\nlibjq1\n'
          : cmd.startsWith('apt-cache show')
            ? 'Package: jq\nVersion: 1.6-2.1+deb12u1\nStatus: install ok installed\n\n' +
              'Package: libjq1\nVersion: 1.6-2.1+deb12u3\nArchitecture: amd64\nFilename: pool/main/j/jq/libjq1_1.6-2.1+deb12u3_amd64.deb\nSize: 10\nSHA256: ' +
              'a'.repeat(64) +
              '\n'
            : '';
        return Promise.resolve({
          exitCode: 0,
          signal: null,
          timedOut: false,
          aborted: false,
          stdout,
          stderr: '',
          durationMs: 0,
        });
      },
    };
    const status = { installed: new Set(['jq', 'libjq1']), provided: new Map<string, string>() };
    const set = await resolveAptSet(
      { runner, options: [] },
      ['jq'],
      { manager: 'apt', packages: { jq: { version: '1.6-2.1+deb12u1' } } },
      status,
    );
    expect(set.unresolved).toEqual(['jq=1.6-2.1+deb12u1']);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { installArgv } from '../../src/steps/pip/command.js';
import {
  parseRequirementsText,
  readRequirementFiles,
  requirementFilesDigest,
  type ReqLine,
} from '../../src/steps/pip/requirements-file.js';
import { pipKind } from '../../src/steps/pip.js';
import { literalTemplater } from '../helpers/templater.js';

const cases: [string, string, ReqLine[]][] = [
  ['a plain pin', 'numpy==1.26.4', [{ kind: 'spec', spec: 'numpy==1.26.4', line: 1 }]],
  ['comments and blank lines', '# top\n\nfoo>=1  # why\n', [{ kind: 'spec', spec: 'foo>=1', line: 3 }]],
  [
    'a fragment is not a comment',
    'foo @ https://x/foo.whl#sha256=ab',
    [{ kind: 'spec', spec: 'foo @ https://x/foo.whl#sha256=ab', line: 1 }],
  ],
  [
    'extras and markers',
    'bar[gpu]~=2.1; python_version < "3.12"',
    [{ kind: 'spec', spec: 'bar[gpu]~=2.1; python_version < "3.12"', line: 1 }],
  ],
  [
    'a continued line with hashes',
    'foo==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\nbar',
    [
      { kind: 'spec', spec: 'foo==1.0', line: 1 },
      { kind: 'spec', spec: 'bar', line: 4 },
    ],
  ],
  [
    'includes, both spellings',
    '-r base.txt\n--requirement=dev.txt\n-c pins.txt\n--constraint more.txt',
    [
      { kind: 'include', file: 'base.txt', constraint: false, line: 1 },
      { kind: 'include', file: 'dev.txt', constraint: false, line: 2 },
      { kind: 'include', file: 'pins.txt', constraint: true, line: 3 },
      { kind: 'include', file: 'more.txt', constraint: true, line: 4 },
    ],
  ],
  [
    'index options (they do not change what installed means)',
    '--index-url https://x/simple\n-f ./wheels\n--pre',
    [
      { kind: 'option', text: '--index-url https://x/simple', line: 1 },
      { kind: 'option', text: '-f ./wheels', line: 2 },
      { kind: 'option', text: '--pre', line: 3 },
    ],
  ],
  [
    'what cannot be judged',
    '-e ./pkg\n./local/dir\nhttps://x/y.whl\n${TOKEN}pkg\n--weird',
    [
      { kind: 'opaque', text: '-e ./pkg', why: 'an editable install', line: 1 },
      { kind: 'opaque', text: './local/dir', why: 'a path or URL without a name', line: 2 },
      { kind: 'opaque', text: 'https://x/y.whl', why: 'a path or URL without a name', line: 3 },
      { kind: 'opaque', text: '${TOKEN}pkg', why: 'pip expands its environment variables', line: 4 },
      { kind: 'opaque', text: '--weird', why: 'a pip option envkit does not judge', line: 5 },
    ],
  ],
  [
    'CRLF line ends',
    'a==1\r\nb==2\r\n',
    [
      { kind: 'spec', spec: 'a==1', line: 1 },
      { kind: 'spec', spec: 'b==2', line: 2 },
    ],
  ],
];

describe('requirements files as pip reads them', () => {
  it.each(cases)('%s', (_name, text, want) => {
    expect(parseRequirementsText(text)).toEqual(want);
  });

  it('follows -r and -c relative to the including file, each once, and says where a bad line is', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-reqs-'));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'top.txt'), 'a\n-r sub/base.txt\n-c sub/pins.txt\n-r sub/base.txt\n-e .\n');
    fs.writeFileSync(path.join(dir, 'sub', 'base.txt'), 'b>=1\n');
    fs.writeFileSync(path.join(dir, 'sub', 'pins.txt'), 'a==1.0\n-r base.txt\n');
    const r = await readRequirementFiles([{ path: path.join(dir, 'top.txt'), constraint: false }]);
    expect(r.specs).toEqual(['a', 'b>=1']);
    expect(r.constraints).toEqual(['a==1.0', 'b>=1']); // what a constraints file includes constrains too
    expect(r.opaque).toEqual([`${path.join(dir, 'top.txt')}:5: \`-e .\` (an editable install)`]);
    expect(r.files).toHaveLength(4);

    const before = requirementFilesDigest([{ path: path.join(dir, 'top.txt'), constraint: false }]);
    fs.writeFileSync(path.join(dir, 'sub', 'base.txt'), 'b>=2\n');
    expect(requirementFilesDigest([{ path: path.join(dir, 'top.txt'), constraint: false }])).not.toBe(before);

    fs.writeFileSync(path.join(dir, 'sub', 'base.txt'), 'b==\n');
    await expect(readRequirementFiles([{ path: path.join(dir, 'top.txt'), constraint: false }])).rejects.toThrow(
      `${path.join(dir, 'sub', 'base.txt')}:1: invalid requirement "b=="`,
    );
    await expect(readRequirementFiles([{ path: path.join(dir, 'none.txt'), constraint: false }])).rejects.toThrow(
      /cannot read .*none\.txt: ENOENT/,
    );
  });

  it('the step: needs packages or requirements; passes -r / -c to pip', () => {
    expect(pipKind.lint({ venv: '/v' } as never)[0]?.message).toBe(
      'a pip step needs packages:, requirements:, or both',
    );
    expect(pipKind.lint({ requirements: 'r.txt' } as never)).toEqual([]);
    const c = pipKind.resolve(
      { requirements: '/r.txt', constraints: ['/c.txt'], packages: ['x'] } as never,
      literalTemplater,
    );
    expect(installArgv(c, 'python3', { name: 't' } as never).slice(-5)).toEqual(['-r', '/r.txt', '-c', '/c.txt', 'x']);
    expect(pipKind.recipeFiles!({ requirements: ['a.txt', 'b.txt'], constraints: 'c.txt' } as never)).toEqual([
      { path: ['requirements', 0], file: 'a.txt' },
      { path: ['requirements', 1], file: 'b.txt' },
      { path: ['constraints'], file: 'c.txt' },
    ]);
  });
});

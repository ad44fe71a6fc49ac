import { describe, expect, it } from 'vitest';
import { fileDiff, maskSecrets } from '../../src/plan/diff.js';
import { addSecret } from '../../src/util/redact.js';

describe('plan/diff', () => {
  it('masks a secret and the old value it replaces, keeping the lines that only sit beside it', () => {
    addSecret('s3cr3t-new-value');
    const d = fileDiff({
      path: '/h/env.sh',
      before: 'export A=1\nexport TOKEN=old-value-here\n# note\n',
      after: 'export A=2\nexport TOKEN=s3cr3t-new-value\n# note\n',
    });
    expect(d).toBe(
      '--- /h/env.sh\n+++ /h/env.sh\n@@ -1,3 +1,3 @@\n-export A=1\n-export TOKEN=***\n+export A=2\n+export TOKEN=***\n # note\n',
    );
    expect(maskSecrets([{ op: ' ', text: 'x s3cr3t-new-value\n' }])).toEqual([{ op: ' ', text: 'x ***\n' }]);
  });

  it('keeps what follows a masked value: the closing quote and comma of a JSON string', () => {
    addSecret('s3cr3t-new-value');
    const d = fileDiff({
      path: '/h/a.json',
      before: '{\n  "token": "old-value-here",\n  "a": 1\n}\n',
      after: '{\n  "token": "s3cr3t-new-value",\n  "a": 1\n}\n',
    });
    expect(d).toContain('\n-  "token": "***",\n+  "token": "***",\n');
  });

  it('masks the old values a change says secrets replace, wherever they sit', () => {
    addSecret('s3cr3t-new-value');
    const d = fileDiff({
      path: '/h/a.json',
      before: '{"a": 1, "token": "old-value-here"}\n',
      after: '{\n  "a": 1,\n  "token": "s3cr3t-new-value"\n}\n',
      replaced: ['old-value-here'],
    });
    expect(d).toContain('\n-{"a": 1, "token": "***"}\n');
    expect(d).not.toContain('old-value-here');
  });

  it('says a binary file differs, as git does, with its mode lines; never a line diff of its bytes', () => {
    expect(fileDiff({ path: '/h/b', before: 'a\0b\n', after: 'c\n' })).toBe('Binary files /h/b and /h/b differ\n');
    expect(fileDiff({ path: '/h/b', before: 'bad \uFFFD\n', after: 'c\n' })).toBe(
      'Binary files /h/b and /h/b differ\n',
    );
    expect(fileDiff({ path: '/h/b', before: undefined, after: '\0', mode: { before: undefined, after: 0o755 } })).toBe(
      'new file mode 0755\nBinary files /dev/null and /h/b differ\n',
    );
  });

  it("shows a mode change with git's lines, alone when the content stays", () => {
    expect(fileDiff({ path: '/h/t', before: 'a\n', after: 'a\n', mode: { before: 0o644, after: 0o755 } })).toBe(
      '--- /h/t\n+++ /h/t\nold mode 0644\nnew mode 0755\n',
    );
    expect(fileDiff({ path: '/h/t', before: 'a\n', after: 'b\n', mode: { before: 0o644, after: 0o755 } })).toBe(
      '--- /h/t\n+++ /h/t\nold mode 0644\nnew mode 0755\n@@ -1 +1 @@\n-a\n+b\n',
    );
  });
});

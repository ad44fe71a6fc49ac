import { describe, expect, it } from 'vitest';
import { parseDocument, type Tags } from 'yaml';
import { defaultsYaml, siteYaml, tasksYaml, type AnsibleExport } from '../../src/export/ansible-role.js';

/** `!unsafe` as Ansible reads it: a plain string Ansible never templates. */
const unsafeTag: Tags = [{ tag: '!unsafe', resolve: (s: string) => s }];
const load = (text: string): unknown => {
  const doc = parseDocument(text, { customTags: unsafeTag });
  expect(doc.errors).toEqual([]);
  return doc.toJS();
};

const base: AnsibleExport = {
  recipes: ['app'],
  allRecipes: ['base', 'app'],
  hosts: 'gpu:&prod',
  jsArchive: 'envkit-js-0123.tar.gz',
  jsDir: 'envkit-js-0123',
  recipeDirs: ['envkit-payload-4567/recipes/0'],
  sets: ['greeting={{ lookup("pipe", "id") }}', 'x=a "quoted" \\ value'],
  prefix: '~/opt',
  secrets: ['HF_TOKEN'],
  version: '0.1.0',
};

describe('setup export ansible: the role as text', () => {
  it('writes values from the command line as strings Ansible does not template', () => {
    const d = load(defaultsYaml(base)) as Record<string, unknown>;
    expect(d.envkit_export_sets).toEqual(base.sets);
    expect(d.envkit_prefix).toBe('~/opt');
    expect(d.envkit_recipes).toEqual(['app']);
    expect(d.envkit_secrets).toEqual({});
    expect(defaultsYaml(base)).toContain('!unsafe "greeting={{ lookup(\\"pipe\\", \\"id\\") }}"');
  });

  it('runs setup through argv only, secrets on stdin in no_log tasks, never environment:', () => {
    const tasks = load(tasksYaml()) as Record<string, unknown>[];
    expect(tasks.every((t) => typeof t.name === 'string')).toBe(true);
    expect(tasksYaml()).not.toMatch(/ansible\.builtin\.(shell|raw)|^\s*environment:/m);
    const setupTasks = tasks.filter((t) => {
      const cmd = t['ansible.builtin.command'] as { argv?: string } | undefined;
      return typeof cmd?.argv === 'string' && cmd.argv.includes('envkit_setup');
    });
    expect(setupTasks.map((t) => t.name)).toHaveLength(3);
    for (const t of setupTasks) {
      expect(t.no_log).toBe(true);
      expect((t['ansible.builtin.command'] as { stdin: string }).stdin).toContain('envkit_secrets');
    }
    // Any task that reads envkit_secrets hides its result: a value Ansible cannot template is shown in the error.
    for (const t of tasks)
      if (JSON.stringify(t).includes('envkit_secrets ')) expect(t.no_log, String(t.name)).toBe(true);
    const plan = setupTasks[0]!;
    expect(plan.check_mode).toBe(false);
    expect(plan.changed_when).toBe('envkit_plan.rc == 3');
    expect(setupTasks[1]!.when).toBe('envkit_plan.rc == 3 and not ansible_check_mode');
  });

  it('plays on the hosts pattern with the free strategy and no fact gathering', () => {
    const [play] = load(siteYaml(base)) as Record<string, unknown>[];
    expect(play).toMatchObject({ hosts: 'gpu:&prod', strategy: 'free', gather_facts: false });
  });
});

/**
 * `setup export ansible`: the playbook and role as text (pure). The command (cli/commands/export-ansible.ts)
 * gathers what goes in files/ and writes the folder; this file only says what the YAML holds.
 *
 * On each host the role puts everything under one folder (`envkit_dir`), copied by content hash so a second
 * play changes nothing, then runs `setup plan --exit-code` (exit 3: changed), `setup run` only when the
 * plan said so (never in --check), and `setup doctor --json`, whose output lands in DIR/reports/<host>.json
 * on the control machine. Every command is an argv list; secrets reach setup through the task's environment
 * (`envkit_secrets`, e.g. from Vault) with `no_log`, and setup masks them in what it prints.
 */

/** What the export knows when it writes the role. */
export interface AnsibleExport {
  /** The recipes named on the command line (what the play plans, runs and checks). */
  recipes: string[];
  /** Every recipe those pull in (for the README). */
  allRecipes: string[];
  /** The play's hosts pattern. */
  hosts: string;
  /** files/<name>: the JS tree (bin/setup, dist/setup, recipes, schema) as a .tar.gz, named by its hash. */
  jsArchive: string;
  /** The folder that archive unpacks into (its hash in the name: a new export never mixes with an old). */
  jsDir: string;
  /** files/<name>: the recipe folders, mirror profile and bundle as a .tar, named by its hash; or none. */
  payloadArchive?: string;
  payloadDir?: string;
  /** Recipe folders inside payloadDir, in --recipes order (later wins). */
  recipeDirs: string[];
  /** `--mirror` for the hosts: a path inside payloadDir, or a named profile, or none. */
  mirror?: string;
  /** files/<name> of the single-file setup, when the export has one. */
  binary?: string;
  /** `--set` values given to the export (`key=value`). */
  sets: string[];
  prefix?: string;
  /** The secrets the recipes name (`{{ secrets.X }}`): the keys envkit_secrets should have. */
  secrets: string[];
  /** This setup's version (for the README). */
  version: string;
}

/** A YAML scalar Ansible will not template (`!unsafe`): values from the command line may hold `{{`. */
function unsafe(s: string): string {
  return `!unsafe ${JSON.stringify(s)}`;
}

function list(items: readonly string[], indent: string): string {
  return items.length ? items.map((i) => `\n${indent}- ${unsafe(i)}`).join('') : ' []';
}

/** roles/envkit/defaults/main.yml: everything an inventory may override, with what it is for. */
export function defaultsYaml(x: AnsibleExport): string {
  return `---
# Written by setup export ansible (envkit ${x.version}). Inventory, group or host variables override these.

# The folder on each host that holds envkit, the recipes and the reports (~ is the remote user's home).
envkit_dir: "~/.local/share/envkit-ansible"
# The recipes the play converges (setup plan / run / doctor).
envkit_recipes:${list(x.recipes, '  ')}
# true: use the single-file setup even where Node >= 20 is there.
envkit_use_binary: false
# Per-host or per-group variable values: {name: value} or {recipe.name: value}, passed as --set name=value.
envkit_vars: {}
# The secrets the recipes read ({{ secrets.NAME }}), e.g. from ansible-vault: {NAME: value}. They reach setup's
# environment through its stdin (no_log tasks, pipelining), never a command line or a file. Ansible reads a value
# holding {{ or {% as a template: tag such a value !unsafe (NAME: !unsafe "p{{w"), in a vault file too.
# Names the recipes use:${x.secrets.length ? ' ' + x.secrets.join(', ') : ' none'}
envkit_secrets: {}
# The mirror profile setup uses: a profile name, or a file on the host (default: the one exported).
envkit_mirror:${x.mirror !== undefined ? ' ' + unsafe(x.mirror) : ' ""'}
# The install prefix (default: setup's own, ~/.local or /usr/local as root).
envkit_prefix:${x.prefix !== undefined ? ' ' + unsafe(x.prefix) : ' ""'}
# Extra options for setup plan, e.g. ["--no-resolve"] (no pip dry run: faster, offline).
envkit_plan_args: []
# Extra options for setup doctor, e.g. ["--offline"] (no mirror reachability checks).
envkit_doctor_args: []

# The Python that hands envkit_secrets to setup (Ansible needs one on the host anyway).
envkit_python: python3

# What the export wrote; not for inventories.
# Reads {NAME: value} as JSON on stdin, then runs argv with them added to the environment.
envkit_secrets_exec: !unsafe |
  import json, os, sys
  env = dict(os.environ)
  env.update({str(k): str(v) for k, v in json.load(sys.stdin).items()})
  os.execvpe(sys.argv[1], sys.argv[1:], env)
envkit_export_sets:${list(x.sets, '  ')}
envkit_export_recipe_dirs:${list(x.recipeDirs, '  ')}
envkit_js_archive: ${unsafe(x.jsArchive)}
envkit_js_dir: ${unsafe(x.jsDir)}
envkit_payload_archive: ${x.payloadArchive ? unsafe(x.payloadArchive) : '""'}
envkit_payload_dir: ${x.payloadDir ? unsafe(x.payloadDir) : '""'}
envkit_binary: ${x.binary ? unsafe(x.binary) : '""'}
`;
}

/** roles/envkit/tasks/main.yml. */
export function tasksYaml(): string {
  return `---
- name: Make the envkit folder
  ansible.builtin.file:
    path: "{{ envkit_dir }}"
    state: directory
    mode: "0755"
  # envkit itself goes on the host in --check too: \`setup plan\` needs it (the recipes' work is not done).
  check_mode: false

- name: Ask for Node (setup needs Node 20 or the single-file setup)
  ansible.builtin.command:
    argv: [node, --version]
  register: envkit_node
  changed_when: false
  failed_when: false
  check_mode: false

- name: Choose how setup runs here
  ansible.builtin.set_fact:
    envkit_on_node: >-
      {{ not (envkit_use_binary | bool) and envkit_js_archive != "" and envkit_node.rc == 0
         and (envkit_node.stdout | trim | regex_replace('^v', '')) is version('20', '>=') }}

- name: Stop where there is neither Node 20 nor a single-file setup
  ansible.builtin.fail:
    msg: >-
      {{ inventory_hostname }} has no Node >= 20 ({{ envkit_node.stdout | default('') | trim or 'no node on PATH' }})
      and this export holds no single-file setup: build it with \`npm run build:sea\` in the envkit checkout and
      export again (or pass --binary FILE), or install Node 20 on the host.
  when: not envkit_on_node and envkit_binary == ""

- name: Put envkit on the host (Node)
  ansible.builtin.unarchive:
    src: "{{ envkit_js_archive }}"
    dest: "{{ envkit_dir }}"
    creates: "{{ envkit_dir }}/{{ envkit_js_dir }}/bin/setup"
  when: envkit_on_node
  check_mode: false

- name: Put envkit on the host (single file)
  ansible.builtin.copy:
    src: "{{ envkit_binary }}"
    dest: "{{ envkit_dir }}/{{ envkit_binary }}"
    mode: "0755"
  when: not envkit_on_node
  check_mode: false

- name: Put the recipes, mirror profile and bundle on the host
  ansible.builtin.unarchive:
    src: "{{ envkit_payload_archive }}"
    dest: "{{ envkit_dir }}"
    creates: "{{ envkit_dir }}/{{ envkit_payload_dir }}"
  when: envkit_payload_archive != ""
  check_mode: false

- name: Put together the setup command line
  ansible.builtin.set_fact:
    envkit_setup: >-
      {{ (['node', envkit_js_dir + '/bin/setup'] if envkit_on_node else ['./' + envkit_binary])
         + ['--no-color']
         + (envkit_export_recipe_dirs | map('regex_replace', '^', '--recipes=') | list)
         + (['--mirror=' + envkit_mirror] if envkit_mirror != '' else [])
         + (['--prefix=' + envkit_prefix] if envkit_prefix != '' else [])
         + (envkit_export_sets | map('regex_replace', '^', '--set=') | list)
         + (envkit_vars.items() | map('join', '=') | map('regex_replace', '^', '--set=') | list) }}

# Apart and no_log: Ansible templates envkit_secrets here, and a value it cannot template would be shown in the error.
- name: Read envkit_secrets (hidden; a value holding Jinja braces must be tagged !unsafe)
  ansible.builtin.set_fact:
    # With secrets, setup starts through a small Python exec that reads them from stdin into its environment:
    # a task's \`environment:\` would put them on the remote shell's command line (and in -vvv output).
    envkit_exec: "{{ [envkit_python, '-c', envkit_secrets_exec] if envkit_secrets else [] }}"
  no_log: true

- name: Plan (setup plan --exit-code; exit 3 = something to do)
  ansible.builtin.command:
    argv: "{{ envkit_exec + envkit_setup + ['plan', '--exit-code'] + envkit_plan_args + envkit_recipes }}"
    chdir: "{{ envkit_dir }}"
    stdin: "{{ envkit_secrets | to_json if envkit_secrets else omit }}"
  no_log: true
  register: envkit_plan
  check_mode: false
  changed_when: envkit_plan.rc == 3
  failed_when: false

- name: Show the plan
  ansible.builtin.debug:
    msg: "{{ envkit_plan.stdout_lines }}"
  when: envkit_plan.rc == 3 and (ansible_diff_mode or ansible_check_mode)

- name: Stop where setup could not plan
  ansible.builtin.fail:
    msg: "setup plan failed (exit {{ envkit_plan.rc }}): {{ (envkit_plan.stderr_lines + envkit_plan.stdout_lines) | join('\\n') }}"
  when: envkit_plan.rc not in [0, 3]

- name: Run (setup run, only what the plan said)
  ansible.builtin.command:
    argv: "{{ envkit_exec + envkit_setup + ['run'] + envkit_recipes }}"
    chdir: "{{ envkit_dir }}"
    stdin: "{{ envkit_secrets | to_json if envkit_secrets else omit }}"
  no_log: true
  register: envkit_run
  when: envkit_plan.rc == 3 and not ansible_check_mode
  changed_when: true
  failed_when: false

- name: Stop where a step failed
  ansible.builtin.fail:
    msg: "setup run failed (exit {{ envkit_run.rc }}): {{ (envkit_run.stdout_lines + envkit_run.stderr_lines) | join('\\n') }}"
  when: envkit_run is not skipped and envkit_run.rc != 0

- name: Check (setup doctor --json)
  ansible.builtin.command:
    argv: "{{ envkit_exec + envkit_setup + ['doctor', '--json'] + envkit_doctor_args + envkit_recipes }}"
    chdir: "{{ envkit_dir }}"
    stdin: "{{ envkit_secrets | to_json if envkit_secrets else omit }}"
  no_log: true
  register: envkit_doctor
  when: not ansible_check_mode
  changed_when: false
  failed_when: envkit_doctor.rc not in [0, 1]

- name: Fetch the doctor report to reports/
  ansible.builtin.copy:
    content: "{{ envkit_doctor.stdout }}\\n"
    dest: "{{ playbook_dir }}/reports/{{ inventory_hostname }}.json"
    mode: "0644"
  delegate_to: localhost
  become: false
  changed_when: false
  when: not ansible_check_mode
`;
}

/** site.yml: one play, free strategy (a slow host does not hold the others), facts left to setup. */
export function siteYaml(x: AnsibleExport): string {
  return `---
# Written by setup export ansible (envkit ${x.version}): converges ${x.recipes.join(', ')} on every host.
- name: Set up the hosts with envkit
  hosts: ${JSON.stringify(x.hosts)}
  strategy: free # noqa: run-once[play] (no task runs once: a slow host must not hold the others)
  gather_facts: false
  roles:
    - role: envkit
`;
}

/** inventory.example.ini. */
export function inventoryExample(x: AnsibleExport): string {
  return `# An example inventory for this export: copy it, list your hosts.
[gpu]
node1.example.com
node2.example.com envkit_use_binary=true

[gpu:vars]
ansible_user=ubuntu
# per-group values for the recipes' variables (--set name=value):
# envkit_vars={"cuda": "12.4"}
${x.secrets.length ? `# secrets (${x.secrets.join(', ')}): put envkit_secrets in an ansible-vault file, never here.\n` : ''}`;
}

/** ansible.cfg beside site.yml: the role folder, and pipelining (module arguments over stdin, no temp files). */
export function ansibleCfg(): string {
  return `# Written by setup export ansible.
[defaults]
roles_path = ./roles
retry_files_enabled = false

[ssh_connection]
pipelining = true
`;
}

/** The README at the top of the export (its first line marks a folder an export may write over). */
export function readmeText(x: AnsibleExport): string {
  return `${EXPORT_README_MARK} ${x.recipes.join(', ')} (envkit ${x.version}).

It converges ${x.allRecipes.join(', ')} on every host of an Ansible inventory: on each host it puts envkit
under envkit_dir (~/.local/share/envkit-ansible), runs \`setup plan --exit-code\` (exit 3: changed), then
\`setup run\` where the plan says there is work, and fetches \`setup doctor --json\` to reports/<host>.json.

  ansible-playbook -i inventory.ini site.yml --check --diff   # what each host would run (the plan only)
  ansible-playbook -i inventory.ini site.yml                  # converge; a second run changes nothing

Hosts with Node >= 20 run the exported JS tree; others run the single-file setup${x.binary ? '' : ' (none in this export: build it with `npm run build:sea` and export again)'}.
Variables (roles/envkit/defaults/main.yml): envkit_vars (--set values per host or group), envkit_secrets
(the recipes' secrets${x.secrets.length ? `: ${x.secrets.join(', ')}` : ''}; keep them in ansible-vault), envkit_mirror,
envkit_prefix, envkit_use_binary, envkit_dir. See inventory.example.ini.
`;
}

/** The README's first words: a folder whose README starts so was written by this export. */
export const EXPORT_README_MARK = 'This folder is an Ansible export (setup export ansible) of';

import { Argument, Command, Option, type CommandOptions } from 'commander';
import type { CliSpec } from '../docs/cli-spec.js';
import type { CommandName } from './command.js';
import { describeProgram } from './describe.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `--only`, `--skip`, `--tags`, `--skip-tags`, `--from`: which steps `plan` and `run` take (plan/select.ts). */
function withSelection(cmd: Command): Command {
  const many = (flags: string, what: string): Option => new Option(flags, what).default([]).argParser(collect);
  return cmd
    .addOption(
      many('--only <pattern>', 'only the steps whose id (faiss#3), name or recipe matches; * and ? (repeatable)'),
    )
    .addOption(many('--skip <pattern>', 'leave out the steps whose id, name or recipe matches; * and ? (repeatable)'))
    .addOption(many('--tags <tags>', 'only the steps with one of these tags (comma-separated, repeatable)'))
    .addOption(many('--skip-tags <tags>', 'leave out the steps with one of these tags (comma-separated, repeatable)'))
    .addOption(
      // Collected, not overwritten: a second --from is refused (cli/common.ts), never silently the one that wins.
      new Option(
        '--from <step>',
        'start at this step (id, name or recipe: the first match in plan order); the steps before are left out',
      ).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    );
}

/**
 * The commander definition of the whole CLI (docs/cli.md is made from it). Actions record which command to run
 * in `onAction`; main.ts runs it through the engine (engine.ts), so errors and exit codes are handled in
 * one place. Nothing here imports a command: `--help` and a bad flag never load one.
 */
export function buildProgram(
  version: string,
  onAction: (command: CommandName, args: string[], opts: Record<string, unknown>) => void,
): Command {
  const program = new Command('setup')
    .description('Declarative, checked, idempotent machine setup: recipes that plan, run and verify.')
    .version(version, '-V, --version', 'print the version')
    .addOption(
      new Option('--recipes <dir>', 'extra recipe folder (repeatable; overrides bundled recipes of the same name)')
        .default([])
        .argParser(collect),
    )
    .option('--mirror <name|file>', 'mirror profile (tuna, ustc, aliyun, … or a profile file)')
    .addOption(
      new Option(
        '--set <key=value>',
        'override a variable: name=value, or recipe.name=value (repeatable; wins over config.yaml vars:)',
      )
        .default([])
        .argParser(collect),
    )
    .option('--prefix <dir>', 'install prefix (default ~/.local, /usr/local as root)')
    .option('--json', 'machine-readable output on stdout, nothing else there')
    .option('-v, --verbose', 'more detail; stack traces for internal errors; step output live')
    .option('-q, --quiet', 'only errors and the final line')
    .option('--no-color', 'no colour (NO_COLOR and FORCE_COLOR are honoured too)')
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Examples:
  $ setup list                              the recipes, one line each
  $ setup plan faiss                        what would run, and why
  $ setup run faiss --mirror tuna           install it through the Tsinghua mirrors
  $ setup run cmake --set cmake.version=3.27.9 --prefix /opt/tools
  $ setup doctor --json                     verify the host, machine-readable

Exit codes: 0 ok · 1 a step or check failed · 2 invalid input · 3 plan --exit-code with work to do · 4 doctor --strict with warnings · 130 interrupted`,
    );

  // exitOverride on each command too (commander copies settings only at creation): a bad flag or
  // argument of a command throws to main, which exits 2, instead of commander exiting 1 itself.
  const add = (name: CommandName, opts?: CommandOptions): Command =>
    program
      .command(name, opts)
      .exitOverride()
      .action(function (this: Command, ...a: unknown[]) {
        onAction(name, this.args, this.optsWithGlobals());
        void a;
      });

  add('list')
    .description('the recipes found, one line each: name, state, description')
    .option('--no-state', 'skip checking whether each recipe is installed (faster)')
    .addHelpText('after', '\nExamples:\n  $ setup list\n  $ setup list --recipes ./my-recipes --json');

  add('show')
    .description('the resolved recipe: variables with their sources, steps as they will run')
    .argument('<recipe>', 'recipe name, or the path of a recipe file (./mine.yaml)')
    .addHelpText('after', '\nExamples:\n  $ setup show faiss\n  $ setup show faiss --set faiss.version=1.8.0 --json');

  withSelection(add('plan'))
    .description('preview every step with its state and the reason; changes nothing')
    .argument('[recipe...]', 'recipe names or recipe files (./mine.yaml) (default: all); their requires are included')
    .option('--exit-code', 'exit 3 when anything would run')
    .option('--no-resolve', 'do not ask pip what pending pip steps would install (faster, offline)')
    .option(
      '--diff',
      "show what each file, config and env step that will run changes, as a unified diff (secrets masked; --json: each step's `diff`)",
    )
    .option(
      '--locked',
      'plan installing exactly the lock file: a step whose installed state differs from it is pending, with what differs',
    )
    .option('--lock <file>', 'the lock file, with --locked (default: ./envkit.lock; implies --locked)')
    .option('--graph', "print the recipes' dependency graph (A -> B: A requires B) instead of the plan; checks nothing")
    .addOption(
      new Option('--format <format>', 'graph format, with --graph (default: dot, for Graphviz)').choices([
        'dot',
        'mermaid',
      ]),
    )
    .addHelpText(
      'after',
      "\nExamples:\n  $ setup plan ml-stack\n  $ setup plan ml-stack --locked --exit-code   has anything drifted from ./envkit.lock?\n  $ setup plan cmake --exit-code && echo \"cmake is set up\"\n  $ setup plan --json | jq '.counts'\n  $ setup plan jupyter --no-resolve\n  $ setup plan pip-mirror --mirror tuna --diff   what it would change in pip.conf\n  $ setup plan ml-stack --graph | dot -Tsvg > ml-stack.svg\n  $ setup plan ml-stack --graph --format mermaid\n  $ setup plan faiss --only 'Build*' --skip-tags slow   what selection leaves out, and why\n  $ setup plan ./mine.yaml                     a recipe file of your own, by its path",
    );

  withSelection(add('run'))
    .description('run what the plan says, in dependency order; each step checked again after it runs')
    .argument('<recipe...>', 'recipes to set up: names, or paths of recipe files (./mine.yaml)')
    .option('--no-wait', 'fail at once when another setup run holds the lock (default: wait for it)')
    .option(
      '--diff',
      "print what each file, config and env step changes, as a unified diff, as the step runs (--json: in each step's `diff`)",
    )
    .option(
      '--locked',
      'install exactly the lock file: pip pins, git commits, package versions; a step the lock cannot satisfy stops the run before anything runs (exit 2)',
    )
    .option('--lock <file>', 'the lock file, with --locked (default: ./envkit.lock; implies --locked)')
    .option(
      '--jobs <n>',
      "how many clones and downloads of later steps run while earlier steps build (default: the host's CPUs, 3 to 8; 0: none ahead)",
    )
    .option('--report <file>', 'also write a JUnit XML report: one testcase per step, classname = recipe (for CI)')
    .addHelpText(
      'after',
      "\nWith --json, `steps` lists every step: its state before, outcome, duration, log offsets and failure (schema/run-output.schema.json).\n\nExamples:\n  $ setup run cmake\n  $ setup run ml-stack --json --report junit.xml\n  $ setup run faiss --mirror tuna -v\n  $ setup run pip-mirror --mirror ./my-mirror.yaml\n  $ setup run prefix-env --diff                 each change to env.sh and ~/.bashrc, as it is made\n  $ setup run ml-stack --locked                 install what ./envkit.lock records\n  $ setup run ml-stack --locked --lock ~/ml.lock\n  $ setup run pytorch faiss --jobs 0            fetch nothing ahead (one thing at a time)\n  $ setup run faiss --only faiss#4                 just that step (blocked if a step it needs is not done)\n  $ setup run faiss --from 'Build*'               start at the build, after a fix\n  $ setup run ml-stack --skip-tags gpu",
    );

  add('log')
    .description("a past run from the journal: its steps, each one's duration and outcome (default: the last run)")
    .argument('[run]', 'a run id (or its first characters), or -N for the run N back (-1 the last, -2 the one before)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ setup log                   the last run\n  $ setup log -2                the run before it\n  $ setup log 3f2a9c            the run whose id starts 3f2a9c\n  $ setup log --json | jq \'.steps[] | select(.status == "failed")\'',
    );

  add('doctor')
    .description("verify the host and the recipes' verify items; say how to fix what is wrong")
    .argument(
      '[recipe...]',
      'recipes to verify (default: every recipe with a satisfied step, or satisfied by the host)',
    )
    .option('--offline', "do not ask the mirror profile's hosts over the network (their lines say skipped)")
    .option(
      '--lock <file>',
      'report drift from this lock file: each locked version, commit or checksum that differs from what is installed (default: ./envkit.lock when there is one)',
    )
    .addOption(
      new Option('--check <name>', 'run only this check (repeatable; globs: mirror-*); --list-checks names them')
        .default([])
        .argParser(collect),
    )
    .option('--list-checks', 'list the checks with what each one does, and exit')
    .option('--strict', 'exit 4 when a check warns (and none fails)')
    .addHelpText(
      'after',
      "\nEach line is ✓ ok, ! warn, ✗ fail or - skipped; every warn and fail has a fix: line. The header (envkit, Node,\nOS, shell, config, folders, profile, env file) is for bug reports: paste it with the output.\n\nExit codes: 0 no check failed (warnings too, unless --strict) · 1 a check failed · 2 invalid input · 4 --strict and a check warned\n\nExamples:\n  $ setup doctor\n  $ setup doctor --lock ~/ml.lock --json      what differs from the lock, as data\n  $ setup doctor cmake faiss --json\n  $ setup doctor --check env-file --check 'mirror-*'\n  $ setup doctor --offline --strict            for CI: warnings fail too\n  $ setup doctor --mirror tuna          do the Tsinghua mirrors answer from here?",
    );

  add('lock')
    .description(
      'record what the recipes have installed (pip versions, git commits, download checksums, package versions) in a lock file',
    )
    .argument('[recipe...]', 'recipes to lock, with what they require (default: those already in the lock file)')
    .option('--lock <file>', 'the lock file to write (default: ./envkit.lock); recipes in it not named are kept')
    .option(
      '--resolve',
      'record what would be installed (pip dry run with the index hashes, git ls-remote, apt candidates), installing nothing',
    )
    .addOption(
      new Option('--format <format>', 'lock: write the lock file; requirements: print a venv’s pins (writes no lock)')
        .choices(['lock', 'requirements'])
        .default('lock'),
    )
    .option(
      '--venv <path>',
      'with --format requirements: the venv (or interpreter) to print, when pip steps use several',
    )
    .option(
      '--hashes',
      'with --format requirements: add each pin’s --hash=sha256: where known (the index’s, with --resolve)',
    )
    .option('-o, --output <file>', 'with --format requirements: write it to this file instead of stdout')
    .addHelpText(
      'after',
      '\nA step that is not installed as its recipe says stops the lock (exit 1, nothing written): run the recipe first,\nor lock what would be installed with --resolve.\n\nExamples:\n  $ setup run faiss && setup lock faiss\n  $ setup lock                              lock again the recipes already in ./envkit.lock\n  $ setup lock ml-stack --lock ~/ml.lock --json\n  $ setup lock ml-stack --resolve           what a run would install, before running it\n  $ setup lock ml-stack --format requirements --venv ~/venvs/ml > requirements.txt\n  $ setup lock ml-stack --format requirements --resolve --hashes -o requirements.txt',
    );

  add('bundle')
    .description(
      'gather everything the recipes fetch (git mirrors with submodules, wheels, downloads, apt .deb files) into a folder, with a mirror profile pointing into it, for a machine with no network',
    )
    .argument('<recipe...>', 'recipes to bundle, with what they require')
    .requiredOption('-o, --output <dir>', 'the bundle folder (created; what is already there and verified is kept)')
    .option('--lock <file>', 'take exact pins and commits from this lock (default: ./envkit.lock when it exists)')
    .option('--python-version <version>', 'wheels for this Python (another machine’s), e.g. 3.11: binary wheels only')
    .option('--platform <tag>', 'wheels for this platform, e.g. manylinux2014_x86_64: binary wheels only')
    .addHelpText(
      'after',
      '\nThe folder gets profile.yaml (a mirror profile whose addresses are relative to it: move the folder freely), bundle.json (what it holds, with sizes and sha256) and README. A step that cannot be bundled: exit 1, profile and manifest left as they were.\n\nExamples:\n  $ setup lock faiss && setup bundle faiss -o /media/usb/faiss\n  $ setup bundle ml-stack -o ./bundle --python-version 3.11 --platform manylinux2014_x86_64\n  on the machine with no network:\n  $ setup doctor faiss --mirror /media/usb/faiss/profile.yaml --offline\n  $ setup run faiss --mirror /media/usb/faiss/profile.yaml',
    );

  add('export')
    .description(
      'write the recipes out for machines setup does not run on directly: an Ansible playbook and role for a fleet (ansible), or one bash script (sh)',
    )
    .addArgument(new Argument('<format>', 'what to write').choices(['ansible', 'sh']))
    .argument('<recipe...>', 'recipes to export, with what they require')
    .option('-o, --output <path>', 'ansible: the folder to write (required); sh: the script file (default: stdout)')
    .option('--bundle <dir>', 'ansible: a bundle folder (setup bundle) to copy to every host and install from')
    .option(
      '--binary <file>',
      'ansible: the single-file setup for hosts without Node 20 (default: dist/setup-linux-x64 when built, or this setup itself)',
    )
    .option('--hosts <pattern>', "ansible: the play's hosts (default: all)")
    .addHelpText(
      'after',
      '\nExamples:\n  $ setup export ansible faiss jupyter -o ./fleet --mirror tuna\n  $ ansible-playbook -i inventory.ini ./fleet/site.yml --check --diff   what each host would run\n  $ ansible-playbook -i inventory.ini ./fleet/site.yml\n  $ setup bundle faiss -o ./faiss-bundle && setup export ansible faiss --bundle ./faiss-bundle -o ./fleet\n  $ setup export sh cmake pip-mirror -o setup-cmake.sh && bash setup-cmake.sh',
    );

  add('import')
    .description(
      'turn a page of install notes (Markdown code blocks, or plain text with shell lines among prose) into a recipe draft that setup validate accepts',
    )
    .argument('<file>', 'the notes file, or - for stdin')
    .option('--name <name>', 'the recipe name (default: the -o file’s name, else the notes file’s, kebab-case)')
    .option(
      '-o, --output <path>',
      'write the draft to this file (<name>.yaml; default: stdout); with --split, a folder',
    )
    .option('--split', 'one recipe per section (Markdown heading) that holds steps, written into the -o folder')
    .option('--chain', 'with --split: each recipe requires the one before it (a guess from the notes’ order)')
    .option('--venv <path>', 'pip installs into the system python go into this venv instead (a venv step makes it)')
    .addHelpText(
      'after',
      "\nShell lines become typed steps where a kind fits (apt/yum/dnf install, pip install, python -m venv, git clone, wget/curl + tar x, make, cmake, export, conda/pip config, cat > FILE <<EOF as a file step); the rest become run steps marked TODO. Each step keeps a comment with the lines it came from; pins become vars; a pip -i host that a mirror profile serves is suggested as --mirror, not written in; the install prefix the notes name becomes setup's {{ prefix }}. The summary on stderr counts the lines kept and skipped, with why.\n\nExamples:\n  $ setup import ~/notes/ml-notes.md -o ~/.config/envkit/recipes/ml-notes.yaml\n  $ setup import ml-notes.txt --split --venv ~/venvs/ml -o ./drafts && setup validate ./drafts\n  $ setup import README.md --name faiss-build > faiss-build.yaml\n  $ xclip -o | setup import - --name from-wiki --json",
    );

  add('validate')
    .description('check recipe and profile files (default: every recipe folder)')
    .argument('[path...]', 'files or folders')
    .addHelpText('after', '\nExamples:\n  $ setup validate\n  $ setup validate ./my-recipes/faiss.yaml');

  add('init')
    .description('write a new recipe skeleton, with its schema line for editors, into your recipe folder')
    .argument('<name>', 'recipe name, kebab-case (the file is <name>.yaml)')
    .option('--dir <dir>', 'folder to write into (default: $XDG_CONFIG_HOME/envkit/recipes)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ setup init my-tools && setup plan my-tools\n  $ setup init faiss-gpu --dir ./recipes',
    );

  add('completion')
    .description('print a shell completion script: commands, options, recipe and mirror profile names')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      '\nExamples:\n  $ source <(setup completion bash)                          # add to ~/.bashrc\n  $ setup completion zsh > "${fpath[1]}/_setup"\n  $ setup completion fish > ~/.config/fish/completions/setup.fish',
    );

  // For the completion scripts: names only, from the folders' file names (no recipe is parsed).
  add('__complete', { hidden: true }).addArgument(
    new Argument('<what>', 'what to list').choices(['recipes', 'profiles']),
  );

  return program;
}

/** The `setup` command line as data, from the same definitions the CLI parses with (docs, tests). */
export function cliSpec(): CliSpec {
  return describeProgram(buildProgram('0.0.0', () => undefined));
}

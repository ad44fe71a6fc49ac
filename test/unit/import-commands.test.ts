import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseRecipe } from '../../src/catalog/load.js';
import { convertCommands } from '../../src/import/convert.js';
import { importNotes } from '../../src/import/import-notes.js';
import { mergeSteps } from '../../src/import/merge.js';
import { loadMirrorHosts, type MirrorHosts } from '../../src/import/mirrors.js';
import { extractCommands } from '../../src/import/notes.js';

const recipes = path.resolve(__dirname, '../../recipes');
let hosts: MirrorHosts;
beforeAll(async () => {
  hosts = await loadMirrorHosts([recipes]); // the bundled profiles, as `setup import` reads them
});

/** The merged draft steps of a snippet, without the bookkeeping every step has. */
function steps(snippet: string): unknown[] {
  const converted = convertCommands(extractCommands(snippet).commands, hosts);
  return mergeSteps(converted.steps).map((s) => {
    const { paragraph: _p, section: _s, notes, ...rest } = s;
    return notes.length ? { ...rest, notes } : rest;
  });
}

/** The dead ends of a snippet: line → why. */
function deadEnds(snippet: string): Record<number, string | undefined> {
  const converted = convertCommands(extractCommands(snippet).commands, hosts);
  return Object.fromEntries(converted.skipped.map((s) => [s.line, s.why]));
}

describe('import: a command → a step', () => {
  const table: [string, string, unknown[]][] = [
    [
      'apt/yum install: packages, flags dropped, installs merged',
      'sudo apt-get install -y gcc-9 g++-9\napt install --no-install-recommends ffmpeg gcc-9',
      [
        {
          kind: 'packages',
          packages: ['gcc-9', 'g++-9', 'ffmpeg'],
          lines: [1, 2],
        },
      ],
    ],
    [
      'yum: a dnf name and a TODO for the apt one',
      'yum install mupdf-devel',
      [
        {
          kind: 'packages',
          packages: [{ dnf: 'mupdf-devel' }],
          lines: [1],
          notes: ["TODO: yum in the notes (line 1): add each package's apt name, or default: null"],
        },
      ],
    ],
    [
      'pip -i: the host is a bundled profile, suggested and not inlined; repeats merged',
      'pip3 install paddlepaddle==2.5.1 -i https://pypi.tuna.tsinghua.edu.cn/simple\npip3 install paddleocr\npip install  -i https://mirrors.aliyun.com/pypi/simple faiss-cpu\npip3 install paddleocr',
      [
        {
          kind: 'pip',
          requirements: [
            { name: 'paddlepaddle', extras: '', op: '==', version: '2.5.1' },
            { name: 'paddleocr', extras: '', op: '', version: '' },
            { name: 'faiss-cpu', extras: '', op: '', version: '' },
          ],
          upgrade: false,
          mirrors: { tuna: [1], aliyun: [3] },
          args: [],
          lines: [1, 2, 3, 4],
        },
      ],
    ],
    [
      'pip -U: its own step (upgrade always runs); python -m pip; a host no profile has stays in the step',
      'pip3 install accelerate -U\npython3.10 -m pip install --index-url https://pip.example.org/simple jieba',
      [
        { kind: 'pip', requirements: [{ name: 'accelerate' }], upgrade: true, lines: [1] },
        { kind: 'pip', python: '3.10', indexUrl: 'https://pip.example.org/simple', lines: [2] },
      ],
    ],
    [
      'a pin that contradicts an earlier one starts another step',
      'pip3 install paddlepaddle==2.5.1\npip3 install paddlepaddle==2.4.2 pydub',
      [
        { kind: 'pip', requirements: [{ name: 'paddlepaddle', version: '2.5.1' }], lines: [1] },
        { kind: 'pip', requirements: [{ version: '2.4.2' }, { name: 'pydub' }], lines: [2] },
      ],
    ],
    [
      'pip -r: a run step (the file is the notes author’s)',
      'pip install -i https://mirrors.aliyun.com/pypi/simple -r requirements.txt',
      [{ kind: 'run', script: ['pip install -i https://mirrors.aliyun.com/pypi/simple -r requirements.txt'] }],
    ],
    [
      'python -m venv, then source …/activate: later pip installs go into it',
      'python3 -m venv ~/venvs/nlp\nsource ~/venvs/nlp/bin/activate\npip install jieba',
      [
        { kind: 'venv', path: '~/venvs/nlp', systemSitePackages: false, lines: [1] },
        { kind: 'pip', venv: '~/venvs/nlp', requirements: [{ name: 'jieba' }], lines: [3] },
      ],
    ],
    [
      'git clone --recursive, then cd and checkout: one git step with the ref and submodules',
      'git clone --recursive https://github.com/pytorch/pytorch\ncd pytorch\ngit checkout v2.2.2\ngit submodule update --init --recursive',
      [
        {
          kind: 'git',
          repo: 'https://github.com/pytorch/pytorch',
          dest: '{{ dirs.src }}/pytorch',
          ref: 'v2.2.2',
          submodules: true,
          lines: [1, 3, 4],
        },
      ],
    ],
    [
      'git clone URL DIR --depth: the folder and depth kept',
      'git clone --depth 1 https://gitee.com/mirrors/pyenv.git ~/.pyenv',
      [{ kind: 'git', dest: '~/.pyenv', depth: 1, submodules: false }],
    ],
    [
      'exports and echo … >> ~/.bashrc: one env step; PATH entries, self-extending lists, values',
      'cur_dir=/opt/pkg\nexport PATH="$cur_dir/bin:$PATH"\nexport PYTHONPATH=$PYTHONPATH:/mnt/workspace\necho \'export GOPROXY=https://goproxy.cn\' >> ~/.bashrc\nexport PYENV_ROOT="$HOME/.pyenv"',
      [
        {
          kind: 'env',
          set: { GOPROXY: 'https://goproxy.cn', PYENV_ROOT: '{{ dirs.home }}/.pyenv' },
          path: ['/opt/pkg/bin'],
          prepend: { PYTHONPATH: ['/mnt/workspace'] },
          lines: [2, 3, 4, 5],
        },
      ],
    ],
    [
      'conda config and pip config set: config steps, a known mirror suggested',
      'conda config --add channels https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/free/\nconda config --set show_channel_urls yes\npip config set global.index-url https://mirrors.aliyun.com/pypi/simple/',
      [
        {
          kind: 'config',
          path: '~/.condarc',
          set: { channels: ['https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/free/'], show_channel_urls: true },
          notes: ["the bundled recipe conda-mirror writes tuna's channels: setup run conda-mirror --mirror tuna"],
        },
        {
          kind: 'config',
          path: '~/.config/pip/pip.conf',
          set: { 'global.index-url': 'https://mirrors.aliyun.com/pypi/simple/' },
          notes: ['the bundled recipe pip-mirror writes this from a profile: setup run pip-mirror --mirror aliyun'],
        },
      ],
    ],
    [
      'the rest: one run step per paragraph, sudo dropped for root, cd followed into cwd, && split',
      'cd /mnt/work\n./bootstrap -DCMAKE_USE_OPENSSL=OFF\ncd sub\n./configure && ./install.sh\n\nsudo update-alternatives --install /usr/bin/gcc gcc /usr/bin/gcc-9 100',
      [
        {
          kind: 'run',
          cwd: '/mnt/work',
          root: false,
          script: ['./bootstrap -DCMAKE_USE_OPENSSL=OFF', 'cd sub', './configure', './install.sh'],
          lines: [2, 3, 4],
        },
        { kind: 'run', root: true, script: ['update-alternatives --install /usr/bin/gcc gcc /usr/bin/gcc-9 100'] },
      ],
    ],
    [
      'sudo -u USER: the line stays whole (it runs as that user, not root), even where a kind would fit',
      'sudo -u postgres psql -c "CREATE USER app"\nsudo --user=app pip install requests\nsudo -u root apt-get install -y jq',
      [
        {
          kind: 'run',
          root: true,
          script: ['sudo -u postgres psql -c "CREATE USER app"', 'sudo --user=app pip install requests'],
          lines: [1, 2],
        },
        { kind: 'packages', packages: ['jq'], lines: [3] },
      ],
    ],
    [
      'a subshell is one run line as written: its cd ends with it',
      'cd /src/faiss\n(cd build/faiss/python && python setup.py install)\nmake -C build -j faiss',
      [
        { kind: 'run', cwd: '/src/faiss', script: ['(cd build/faiss/python && python setup.py install)'], lines: [2] },
        { kind: 'make', dir: '/src/faiss/build', targets: ['faiss'] },
      ],
    ],
    [
      "pip: a spec of several clauses ('torch>=2,<3') is a requirement; git clone --single-branch -q is a clone",
      "pip install 'torch>=2,<3' numpy\ngit clone -b v1.2 --single-branch -q https://github.com/foo/bar.git",
      [
        {
          kind: 'pip',
          requirements: [
            { name: 'torch', op: '>=', version: '2,<3' },
            { name: 'numpy', op: '' },
          ],
        },
        { kind: 'git', repo: 'https://github.com/foo/bar.git', ref: 'v1.2', dest: '{{ dirs.src }}/bar' },
      ],
    ],
    [
      'apt install name=version: the package, the pin a TODO (the kind installs the candidate)',
      'apt-get install -y libssl-dev=3.0.11-1~deb12u2 jq',
      [
        {
          kind: 'packages',
          packages: ['libssl-dev', 'jq'],
          notes: [
            'TODO: the notes pin libssl-dev=3.0.11-1~deb12u2 (line 1): the packages kind installs the candidate; setup lock pins what was installed',
          ],
        },
      ],
    ],
    [
      'a package manager line no kind fits runs as root, sudo or not (notes written in a root shell drop it)',
      'apt-get remove -y cmake\ndpkg -i ./x.deb',
      [{ kind: 'run', root: true, script: ['apt-get remove -y cmake', 'dpkg -i ./x.deb'] }],
    ],
    [
      'a run line naming a file the notes downloaded and untarred: the download keeps the file, the line runs beside it',
      'wget https://x.org/go1.21.0.linux-amd64.tar.gz\ntar -zxvf go1.21.0.linux-amd64.tar.gz\nrm -rf /usr/local/go && tar -C /usr/local -xzf go1.21.0.linux-amd64.tar.gz',
      [
        {
          kind: 'download',
          dest: '{{ dirs.src }}/go1.21.0.linux-amd64.tar.gz',
          extract: '{{ dirs.src }}/go1.21.0.linux-amd64',
          notes: [
            'the notes untar it beside the file (line 2); strip: 1 assumes one top folder, go1.21.0.linux-amd64/',
            'kept as a file too: line 3 uses it',
          ],
        },
        {
          kind: 'run',
          cwd: '{{ dirs.src }}',
          script: ['rm -rf /usr/local/go', 'tar -C /usr/local -xzf go1.21.0.linux-amd64.tar.gz'],
        },
      ],
    ],
    [
      'a heredoc that writes a whole file is a file step; one the shell would change, or appends, stays a run line',
      [
        'mkdir -p ~/.config/demo',
        'cat > ~/.config/demo/config.toml <<EOF',
        '[server]',
        '\tname = "tabbed"',
        'EOF',
        "cat <<-'END' > /etc/demo.conf",
        '\tport = $PORT',
        'END',
        'cat > ~/.demo.env <<EOF',
        'HOME_DIR=$HOME',
        'EOF',
        'cat >> ~/.demo.log <<EOF',
        'one',
        'EOF',
      ].join('\n'),
      [
        { kind: 'run', script: ['mkdir -p ~/.config/demo'], lines: [1] },
        {
          kind: 'file',
          path: '~/.config/demo/config.toml',
          content: '[server]\n\tname = "tabbed"\n',
          lines: [2, 3, 4, 5],
        },
        { kind: 'file', path: '/etc/demo.conf', content: 'port = $PORT\n', lines: [6, 7, 8] },
        {
          kind: 'run',
          script: ['cat > ~/.demo.env <<EOF\nHOME_DIR=$HOME\nEOF', 'cat >> ~/.demo.log <<EOF\none\nEOF'],
        },
      ],
    ],
    [
      'a Dockerfile: RUN lines are shell lines (continuations joined), WORKDIR a cd, ENV an export; the rest is skipped whole',
      [
        'FROM debian:12',
        'RUN apt-get update && apt-get install -y --no-install-recommends \\',
        '    build-essential cmake \\',
        ' && rm -rf /var/lib/apt/lists/*',
        'COPY a.txt \\',
        '  /b.txt',
        'WORKDIR /src',
        'RUN git clone --depth 1 -b v1.7.4 https://github.com/facebookresearch/faiss.git',
        'ENV PATH=/opt/bin:$PATH',
      ].join('\n'),
      [
        { kind: 'packages', packages: ['build-essential', 'cmake'], lines: [2] },
        { kind: 'run', script: ['rm -rf /var/lib/apt/lists/*'], lines: [2] },
        { kind: 'git', ref: 'v1.7.4', depth: 1, dest: '/src/faiss' },
        { kind: 'env', path: ['/opt/bin'] },
      ],
    ],
    [
      'a venv the notes activated: run lines after it activate it too; after deactivate, pip is the system’s again',
      'python3 -m venv ~/venvs/app\nsource ~/venvs/app/bin/activate\npip install -r requirements.txt\npython manage.py migrate\npip install django\ndeactivate\npip install tqdm',
      [
        { kind: 'venv', path: '~/venvs/app' },
        {
          kind: 'run',
          script: ['. ~/venvs/app/bin/activate', 'pip install -r requirements.txt', 'python manage.py migrate'],
          lines: [3, 4],
          notes: ['the notes activated ~/venvs/app before this: the step does too'],
        },
        { kind: 'pip', venv: '~/venvs/app', requirements: [{ name: 'django' }] },
        { kind: 'pip', requirements: [{ name: 'tqdm' }] },
      ],
    ],
    [
      'wget + tar x: a download that unpacks (strip 1); make in the folder it made, vars with the notes’ values',
      'cur_dir=/opt/pkg\ncd /mnt/work\nwget https://x.org/lapack-3.4.2.tgz\ntar -xvf lapack-3.4.2.tgz\ncd lapack-3.4.2\nmake -j8  && make PREFIX=$cur_dir install',
      [
        {
          kind: 'download',
          url: 'https://x.org/lapack-3.4.2.tgz',
          extract: '/mnt/work/lapack-3.4.2',
          strip: 1,
          lines: [3, 4],
        },
        { kind: 'make', dir: '/mnt/work/lapack-3.4.2', targets: [], vars: {}, lines: [6] },
        { kind: 'make', dir: '/mnt/work/lapack-3.4.2', targets: ['install'], vars: { PREFIX: '/opt/pkg' } },
      ],
    ],
    [
      'cmake: mkdir build && cd build && cmake .. then cmake --build/--install; -B with -D defines',
      'git clone https://github.com/google/googletest.git\ncd googletest\nmkdir build && cd build\ncmake .. -DBUILD_GMOCK=ON\ncmake --install .\n\ncd /src/faiss\ncmake -B build -DFAISS_ENABLE_GPU=OFF .\ncmake --build build -j 8',
      [
        { kind: 'git', dest: '{{ dirs.src }}/googletest' },
        {
          kind: 'cmake',
          lines: [3, 4],
          source: '{{ dirs.src }}/googletest',
          build: '{{ dirs.src }}/googletest/build',
          defines: { BUILD_GMOCK: 'ON' },
        },
        { kind: 'cmake', build: '{{ dirs.src }}/googletest/build', install: true },
        { kind: 'cmake', source: '/src/faiss', build: '/src/faiss/build', defines: { FAISS_ENABLE_GPU: 'OFF' } },
        { kind: 'cmake', build: '/src/faiss/build', install: false },
      ],
    ],
    [
      'cmake -B build without a source configures the folder it runs in; its CMAKE_INSTALL_PREFIX is the notes’ prefix',
      'git clone https://github.com/OpenMathLib/OpenBLAS.git\ncd OpenBLAS\ncmake -B build -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_PREFIX=/opt/openblas\ncmake --build build -j\nsudo cmake --install build',
      [
        { kind: 'git', dest: '{{ dirs.src }}/OpenBLAS' },
        {
          kind: 'cmake',
          source: '{{ dirs.src }}/OpenBLAS',
          build: '{{ dirs.src }}/OpenBLAS/build',
          defines: { BUILD_SHARED_LIBS: 'ON', CMAKE_INSTALL_PREFIX: '/opt/openblas' },
        },
        { kind: 'cmake', lines: [4, 5], build: '{{ dirs.src }}/OpenBLAS/build', install: true },
      ],
    ],
    [
      'make in a CMake build folder is the cmake kind: build, then install (one step; PREFIX= goes, with a note)',
      'cd /src/gtest\nmkdir -p build\ncd build\ncmake ..\nmake -j40\nmake PREFIX=/opt/x install',
      [
        { kind: 'cmake', lines: [2, 3, 4], source: '/src/gtest', build: '/src/gtest/build', install: false },
        {
          kind: 'cmake',
          lines: [5, 6],
          build: '/src/gtest/build',
          install: true,
          notes: [
            "the notes' PREFIX= (line 6) means nothing to a CMake build: the cmake kind installs into setup's prefix",
          ],
        },
      ],
    ],
    [
      'make then make again with nothing new is one build; make install stays its own step',
      'cd /src/OpenBLAS\nmake TARGET=NEHALEM\nmake\nmake PREFIX=/opt/x install',
      [
        { kind: 'make', lines: [2, 3], dir: '/src/OpenBLAS', targets: [], vars: { TARGET: 'NEHALEM' } },
        { kind: 'make', lines: [4], dir: '/src/OpenBLAS', targets: ['install'], vars: { PREFIX: '/opt/x' } },
      ],
    ],
    [
      'a clone inside a tree fetched earlier is a new fetch: beside it, with a note; unless the notes removed it there',
      'git clone https://h/a/lapack.git\ncd lapack\nmkdir build && cd build\ngit clone --depth 1 https://h/g/googletest.git\n\ngit clone https://h/p/pytorch\ncd pytorch/third_party\nrm -rf foxi\ngit clone https://h/f/foxi.git',
      [
        { kind: 'git', dest: '{{ dirs.src }}/lapack' },
        { kind: 'run', script: ['mkdir build', 'cd build'], cwd: '{{ dirs.src }}/lapack' },
        {
          kind: 'git',
          dest: '{{ dirs.src }}/googletest',
          notes: [
            "the notes' shell was in {{ dirs.src }}/lapack/build (a tree fetched earlier): the draft fetches this beside it, in {{ dirs.src }}",
          ],
        },
        { kind: 'git', dest: '{{ dirs.src }}/pytorch' },
        { kind: 'run', script: ['rm -rf foxi'], cwd: '{{ dirs.src }}/pytorch/third_party' },
        { kind: 'git', dest: '{{ dirs.src }}/pytorch/third_party/foxi' },
      ],
    ],
    [
      // The kinds take these values as text (env writes '~/demo' quoted, make gets a literal ~): the notes' shell
      // expanded $HOME, so the draft writes {{ dirs.home }}. Paths (PATH entries, dir:, venv:) keep ~/, which they expand.
      '$HOME in an env value, a make variable or a cmake define → {{ dirs.home }} (the kinds take them as text)',
      'export DEMO_HOME=$HOME/demo LIBS=~/a:~/b:x~\ncd ~/tool && make PREFIX=$HOME/.local install\ncmake -S ~/src -B ~/src/build -DCMAKE_PREFIX_PATH=$DEMO_HOME/lib',
      [
        { kind: 'env', set: { DEMO_HOME: '{{ dirs.home }}/demo', LIBS: '{{ dirs.home }}/a:{{ dirs.home }}/b:x~' } },
        { kind: 'make', dir: '~/tool', targets: ['install'], vars: { PREFIX: '{{ dirs.home }}/.local' } },
        {
          kind: 'cmake',
          source: '~/src',
          build: '~/src/build',
          defines: { CMAKE_PREFIX_PATH: '{{ dirs.home }}/demo/lib' },
        },
      ],
    ],
    [
      'a shell variable the notes set is set again in the run step that uses it',
      'cur_dir=/docker/root/package\nmake PREFIX=$cur_dir install',
      [{ kind: 'run', script: ['cur_dir=/docker/root/package', 'make PREFIX=$cur_dir install'] }],
    ],
    [
      'a relative folder the notes never name is cd-ed into by the step, with a note',
      'cd lapack-3.4.2\nmake',
      [
        {
          kind: 'run',
          script: ['cd lapack-3.4.2', 'make'],
          notes: ['the notes ran this in ./lapack-3.4.2, relative to a folder they do not name'],
        },
      ],
    ],
  ];
  it.each(table)('%s', (_what, snippet, want) => {
    const got = steps(snippet);
    expect(got).toHaveLength(want.length);
    want.forEach((w, i) => expect(got[i]).toMatchObject(w as object));
  });
});

describe('import: dead ends are skipped with why', () => {
  it.each([
    ['apt-get update', 'the packages kind refreshes the package lists when it needs to'],
    ['pip3 freeze > requirements.txt', 'pip freeze only reports what is installed (setup lock records it)'],
    ['alias python=python3', 'an alias lives only in an interactive shell'],
    ['pyenv activate speech', 'changes only the shell it runs in'],
    ['export HOME=~', "HOME is the login's, not a recipe's"],
    ['pip3 install --upgrade pip3', 'pip3 is a command, not a package (pip is)'],
    [
      'export CMAKE_PREFIX_PATH=${CONDA_PREFIX:-"$(dirname $(which conda))/../"}',
      "CMAKE_PREFIX_PATH's value is the shell's ($(…), `…` or a variable the notes never set): write it as an env step by hand",
    ],
    [
      "docker inspect -f '{{.State.Running}}' es",
      'holds {{ }}, which a recipe reads as a template: write this step by hand',
    ],
    ['source ~/.bashrc', 'changes only the shell it runs in (an env step reaches new shells)'],
  ])('%s', (line, why) => {
    expect(deadEnds(line)).toEqual({ 1: why });
    expect(steps(line)).toEqual([]);
  });
});

describe('import: the draft as a whole', () => {
  const load = (yaml: string): Record<string, unknown> => {
    const name = /^name: (\S+)$/m.exec(yaml)?.[1] ?? '';
    const r = parseRecipe(`/virtual/${name}.yaml`, Buffer.from(yaml));
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    return YAML.parse(yaml) as Record<string, unknown>;
  };

  it('the install prefix the notes name becomes {{ prefix }} wherever a step names it; /usr/local stays', () => {
    const notes = [
      'P=/opt/mine',
      'export PATH=$P/bin:$PATH',
      'git clone https://h/a/lib.git',
      'cd lib',
      'make PREFIX=$P install',
      'cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/opt/mine -DX=/opt/mine/lib/x.a',
    ].join('\n');
    const r = importNotes(notes, { name: 'd', source: 'n.md', hosts });
    expect(r.prefix).toBe('/opt/mine');
    const d = load(r.recipes[0]?.yaml ?? '');
    expect(JSON.stringify(d.steps)).not.toContain('/opt/mine');
    expect(r.recipes[0]?.yaml).toContain('- "{{ prefix }}/bin"');
    expect(r.recipes[0]?.yaml).toContain('PREFIX: "{{ prefix }}"');
    expect(r.recipes[0]?.yaml).toContain('X: "{{ prefix }}/lib/x.a"');
    expect(r.recipes[0]?.yaml).not.toContain('CMAKE_INSTALL_PREFIX');
    expect(r.recipes[0]?.yaml).toContain('keep theirs with --prefix /opt/mine');
    const system = importNotes('cd /src/x\nmake PREFIX=/usr/local install', { name: 'd', source: 'n.md', hosts });
    expect(system.prefix).toBeUndefined();
    expect(system.recipes[0]?.yaml).toContain('PREFIX: /usr/local');
  });

  it('--venv: a pip line left to a run step gets a TODO (it installs into the system python)', () => {
    const r = importNotes('pip install -r requirements.txt\npip install tqdm', {
      name: 'd',
      source: 'n.md',
      hosts,
      venv: '~/venvs/ml',
    });
    const yaml = r.recipes[0]?.yaml ?? '';
    load(yaml);
    expect(yaml).toContain(
      "  # TODO: --venv: this step's pip installs into the system python; ~/venvs/ml/bin/pip installs into the venv\n",
    );
  });

  it('packages named with a version (python3.9, gcc-9) get one TODO: a release has them or not', () => {
    const r = importNotes('apt install -y python3.9 python3-pip gcc-9\napt install -y g++-9', {
      name: 'd',
      source: 'n.md',
      hosts,
    });
    const yaml = r.recipes[0]?.yaml ?? '';
    load(yaml);
    expect(yaml).toContain(
      '  # TODO: python3.9, gcc-9, g++-9 name one version, which a release has or not: the plain name (python3, gcc), or a map per release ({ "ubuntu:20.04": gcc-9, debian: gcc })\n  - name: System packages\n',
    );
  });

  it('a download the notes untar and also use as a file is written with both dest and extract', () => {
    const notes = [
      'wget https://x.org/go1.21.0.linux-amd64.tar.gz',
      'tar -zxvf go1.21.0.linux-amd64.tar.gz',
      'rm -rf /usr/local/go && tar -C /usr/local -xzf go1.21.0.linux-amd64.tar.gz',
    ].join('\n');
    const r = importNotes(notes, { name: 'd', source: 'n.md', hosts });
    const d = load(r.recipes[0]?.yaml ?? '') as { steps: Record<string, Record<string, unknown>>[] };
    expect(d.steps[0]?.download).toMatchObject({
      dest: '{{ dirs.src }}/go1.21.0.linux-amd64.tar.gz',
      extract: '{{ dirs.src }}/go1.21.0.linux-amd64',
      strip: 1,
    });
    expect(d.steps[1]).toMatchObject({ cwd: '{{ dirs.src }}' });
  });

  it('--venv: pip installs into the system python go into a venv a step makes first', () => {
    const r = importNotes('apt install -y git\npip3 install jieba==0.42.1\npip install tqdm', {
      name: 'd',
      source: 'n.md',
      hosts,
      venv: '~/venvs/ml',
    });
    const d = load(r.recipes[0]?.yaml ?? '') as { steps: Record<string, unknown>[] };
    expect(d.steps.map((s) => Object.keys(s).find((k) => k !== 'name'))).toEqual(['packages', 'venv', 'pip']);
    expect(d.steps[1]?.venv).toEqual({ path: '~/venvs/ml' });
    expect(d.steps[2]?.pip).toMatchObject({ venv: '~/venvs/ml', packages: ['jieba=={{ jieba }}', 'tqdm'] });
    expect(r.recipes[0]?.yaml).not.toContain('TODO: the notes install into the system python');
  });

  it('--split: one recipe per heading with steps, named from its ASCII words (else NAME-N); --chain guesses requires', () => {
    const notes = [
      '# Intro',
      'Just prose.',
      '## 基础库',
      'apt install -y gfortran',
      '## CMake 3.24',
      'cmake --version',
      'export CMAKE_HOME=/opt/cmake',
      '## 从0到1',
      'pip3 install tqdm',
      '## Cmake 3.24',
      'apt install -y ninja-build',
    ].join('\n');
    const r = importNotes(notes, { name: 'my-notes', source: 'n.md', hosts, split: true, chain: true });
    expect(r.recipes.map((d) => [d.name, d.section, d.steps])).toEqual([
      ['my-notes-1', '基础库', 1],
      ['cmake-3-24', 'CMake 3.24', 1],
      ['my-notes-3', '从0到1', 1],
      ['cmake-3-24-2', 'Cmake 3.24', 1],
    ]);
    const [first, second] = r.recipes.map((d) => load(d.yaml));
    expect(first?.requires).toBeUndefined();
    expect(second?.requires).toEqual(['my-notes-1']);
    expect(second?.description).toBe('Drafted by setup import from n.md, section "CMake 3.24"');
    // The notes' `--version` line checks the tool: the recipe's verify, kept in its section.
    expect(second?.verify).toEqual([{ command: 'cmake --version' }]);
    expect(first?.verify).toBeUndefined();
    expect(r.recipes[1]?.yaml).toContain('# line 6: the notes ran this to see it works');
    expect(r.kept).toEqual([4, 6, 7, 9, 11]);
  });
});

describe('import: ml-notes.txt as a whole', () => {
  const notes = '/work/shared/notes/ml-notes.txt';
  const file = path.resolve(__dirname, '../../../shared/notes/ml-notes.txt');
  const where = fs.existsSync(file) ? file : notes;
  it.skipIf(!fs.existsSync(where))('drafts a recipe the loader accepts, and accounts for every line', () => {
    const text = fs.readFileSync(where, 'utf8');
    const all = importNotes(text, { name: 'ml-notes', source: 'ml-notes.txt', hosts });
    expect(all.recipes).toHaveLength(1);
    const r = { ...all, yaml: all.recipes[0]?.yaml ?? '', steps: all.recipes[0]?.steps };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-import-'));
    const out = path.join(dir, 'ml-notes.yaml');
    fs.writeFileSync(out, r.yaml);
    const loaded = parseRecipe(out, Buffer.from(r.yaml));
    expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(loaded.recipe?.steps.length).toBe(r.steps);
    // The summary: every non-blank line that is not a fence or heading is kept or skipped, once.
    const content: number[] = [];
    let fenced = false;
    text.split('\n').forEach((l, i) => {
      if (/^\s*```/.test(l)) fenced = !fenced;
      else if (l.trim() && !(!fenced && /^#{1,6}\s/.test(l.trim()))) content.push(i + 1);
    });
    const skippedLines = r.skipped.map((s) => s.line);
    expect(new Set([...r.kept, ...skippedLines]).size).toBe(r.kept.length + skippedLines.length); // none twice
    expect([...r.kept, ...skippedLines].sort((a, b) => a - b)).toEqual(content);
    expect(r.kept.length).toBeGreaterThan(150);
    const reasons = new Set(r.skipped.map((s) => s.reason));
    expect([...reasons].sort()).toEqual(['comment', 'dead end', 'link', 'not a command', 'output', 'prose']);
    // What the sections hold: the pip, apt, git and env parts became typed steps.
    expect(r.yaml).toContain('paddlepaddle=={{ paddlepaddle }}');
    expect(r.yaml).toMatch(/packages:\n(\s+- .*\n)*\s+- libgl1-mesa-glx/);
    expect(r.yaml).toContain('repo: https://github.com/pytorch/pytorch');
    expect(r.yaml).toContain('submodules: true');
    // The notes' install prefix is setup's in the draft, wherever a step names it.
    expect(all.prefix).toBe('/docker/root/projects/demo/package');
    expect(r.yaml).toContain('- "{{ prefix }}/cmake-3.24.0-linux-x86_64/bin"');
    expect(r.yaml).not.toMatch(/^[^#]*\/docker\/root\/projects\/demo\/package/m);
    expect(r.yaml).toContain('pick one with --mirror NAME');
    expect(r.yaml).not.toContain('index-url: https://pypi.tuna');
    // Every step says where it came from.
    const yamlLines = r.yaml.split('\n');
    const firstComments = yamlLines.flatMap((l, i) => {
      if (!l.startsWith('  - name:')) return [];
      let j = i;
      while (yamlLines[j - 1]?.startsWith('  #')) j--;
      return [yamlLines[j] ?? ''];
    });
    expect(firstComments).toHaveLength(r.steps);
    for (const c of firstComments) expect(c).toMatch(/^ {2}# lines? \d+/);
  });
});

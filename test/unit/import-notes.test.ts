import { describe, expect, it } from 'vitest';
import { classifyLine, extractCommands } from '../../src/import/notes.js';
import { splitCommands, withoutComment } from '../../src/import/shell-words.js';

describe('import: which lines of notes are commands', () => {
  const table: [string, string | { reason: string }][] = [
    [
      'pip3 install torch torchvision -i https://pypi.mirrors.ustc.edu.cn/simple # 用国内源',
      'pip3 install torch torchvision -i https://pypi.mirrors.ustc.edu.cn/simple',
    ],
    ['$ apt-get install -y ffmpeg', 'apt-get install -y ffmpeg'],
    ['root@box:~# make install', 'make install'],
    ['(venv) $ pip install jieba', 'pip install jieba'],
    ['sudo apt-get remove cmake', 'sudo apt-get remove cmake'],
    ['cur_dir=/docker/root/projects/demo/package', 'cur_dir=/docker/root/projects/demo/package'],
    ['./bootstrap -DCMAKE_USE_OPENSSL=OFF', './bootstrap -DCMAKE_USE_OPENSSL=OFF'],
    ['make', 'make'],
    ["echo 'export A=1' >> ~/.bashrc # 生效", "echo 'export A=1' >> ~/.bashrc"],
    ['paddlespeech asr --lang zh --input /data/剑4真题听力/test1.wav', { reason: 'prose' }],
    ['# openGL库', { reason: 'comment' }],
    ['# export CMAKE_BUILD_WITH_INSTALL_RPATH=ON', { reason: 'comment' }],
    ['安装rust', { reason: 'prose' }],
    ['初学者建议统一安装cpu版本', { reason: 'prose' }],
    ['paddle：https://paddlenlp.readthedocs.io/zh/latest/', { reason: 'prose' }],
    ['https://github.com/baidu/puck', { reason: 'link' }],
    ['✅ Elasticsearch security features have been automatically configured!', { reason: 'output' }],
    ['• Run Kibana and click the configuration link', { reason: 'output' }],
    ['━━━━━━━━━━━━━━━━', { reason: 'output' }],
    ['mamba', { reason: 'not a command' }],
    ['cpu', { reason: 'not a command' }],
    ['IndexFlatL2（基于欧氏距离的暴力索引）', { reason: 'prose' }],
    ['[submodule "third_party/pybind11"]', { reason: 'not a command' }],
    ['channels:', { reason: 'not a command' }],
    ['/docker/root/projects/demo/package/lib/libopenblas.a', { reason: 'not a command' }],
    ['make 之后再装', { reason: 'prose' }],
  ];
  it.each(table)('%s', (line, want) => {
    expect(classifyLine(line)).toEqual(typeof want === 'string' ? { command: want } : want);
  });
});

describe('import: shell words', () => {
  it('splits at && and ; only, keeping quotes, pipes and redirections with their command', () => {
    const cmds = splitCommands(`make -j8  && make install; echo "a && b" | tee 'x y' >> ~/.bashrc`);
    expect(cmds.map((c) => c.words.map((w) => w.value))).toEqual([
      ['make', '-j8'],
      ['make', 'install'],
      ['echo', 'a && b', 'tee', 'x y'],
    ]);
    expect(cmds[2]).toMatchObject({ ops: ['|', '>>'], targets: ['~/.bashrc'] });
  });
  it('marks words the shell computes', () => {
    const [c] = splitCommands('export PATH="$HOME/bin:$PATH" X=\'$lit\' Y=${A:-"$(pwd)/x"}');
    expect(c?.words.map((w) => w.dynamic)).toEqual([false, true, false, true]);
    expect(c?.words[3]?.value).toBe('Y=${A:-$(pwd)/x}'); // quotes inside ${…} are the shell's: the word is dynamic
  });
  it('drops a comment that starts a word, not a # inside one', () => {
    expect(withoutComment('pip install a # note')).toBe('pip install a');
    expect(withoutComment("echo 'a # b' c#d")).toBe("echo 'a # b' c#d");
  });
});

describe('import: notes → commands', () => {
  it('reads fenced blocks and headings, and lines left outside fences', () => {
    const notes = [
      '## 前置安装', // 1
      '```bash',
      'apt install python3-pip', // 3
      '# openGL库',
      'apt-get install libgl1-mesa-glx', // 5
      '```',
      '### cmake',
      '1. 先装这个',
      'wget https://cmake.org/files/v3.24/cmake-3.24.0-linux-x86_64.tar.gz', // 9
      '',
    ].join('\n');
    const { commands, skipped } = extractCommands(notes);
    expect(commands.map((c) => [c.line, c.section, c.text.split(' ')[0]])).toEqual([
      [3, '前置安装', 'apt'],
      [5, '前置安装', 'apt-get'],
      [9, 'cmake', 'wget'],
    ]);
    expect(skipped).toEqual([
      { line: 4, text: '# openGL库', reason: 'comment' },
      { line: 8, text: '1. 先装这个', reason: 'prose' },
    ]);
    expect(commands[0]?.paragraph).toBe(commands[1]?.paragraph);
  });
  it('joins continuation lines and keeps a heredoc whole', () => {
    const notes = [
      './configure \\',
      '  --prefix=/opt/x \\',
      '  --enable-shared',
      'cat > ~/.pip/pip.conf <<EOF',
      '[global]',
      'index-url = https://pypi.tuna.tsinghua.edu.cn/simple',
      'EOF',
      'make',
    ].join('\n');
    const { commands } = extractCommands(notes);
    expect(commands.map((c) => [c.line, c.endLine, c.text])).toEqual([
      [1, 3, './configure --prefix=/opt/x --enable-shared'],
      [4, 7, 'cat > ~/.pip/pip.conf <<EOF\n[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\nEOF'],
      [8, 8, 'make'],
    ]);
  });
  it('in plain text (no fences) tells commands from prose by their first word', () => {
    const { commands, skipped } = extractCommands('先安装依赖\npip install jieba\n安装完成\n');
    expect(commands.map((c) => c.text)).toEqual(['pip install jieba']);
    expect(skipped.map((s) => s.reason)).toEqual(['prose', 'prose']);
  });
});

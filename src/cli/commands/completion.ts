import { bashScript } from '../../completion/bash.js';
import { fishScript } from '../../completion/fish.js';
import { completionModel } from '../../completion/model.js';
import { zshScript } from '../../completion/zsh.js';
import type { CommandContext } from '../command.js';
import { makeOutput, type GlobalOpts } from '../output.js';

const SCRIPTS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

/** `setup completion bash|zsh|fish`: the script, made from the same definitions the CLI parses with. */
export default async function completion([shell]: string[], opts: GlobalOpts, ctx: CommandContext): Promise<number> {
  const o = makeOutput(opts);
  o.out(SCRIPTS[shell as keyof typeof SCRIPTS](completionModel(ctx.cli())));
  return 0;
}

/**
 * The entry point of the single-file setup (Node's SEA; scripts/build-sea.mjs bundles it with everything else
 * into one script). It answers `--version` from the assets, as bin/setup does from package.json; otherwise it
 * unpacks the files it carries (util/sea-root.ts) before anything reads `packageRoot`, and only then loads
 * the command line (main.ts), which does the rest as under bin/setup. A failure to unpack is one line and
 * exit 1, never a stack: this is the one place that reports it, main.ts being not yet loaded.
 */
import { reportError } from './error-output.js';
import { seaPackageRoot, seaVersion } from '../util/sea-root.js';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(seaVersion() + '\n');
} else {
  let ready = false;
  try {
    seaPackageRoot();
    ready = true;
  } catch (e) {
    process.exitCode = reportError(e, args.includes('-v') || args.includes('--verbose'));
  }
  // A dynamic import: the bundle evaluates main.ts and what it imports (util/paths.ts…) only here.
  if (ready) void import('./main.js');
}

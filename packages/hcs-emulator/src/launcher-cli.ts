/**
 * `node dist/launcher-cli.js [--port N]`: run the hcsd launcher (launcher.ts) natively for
 * Windows Node under Wine. Prints `hcsd-launcher ready {"endpoint":…,"secretFile":…,"pid":…}`
 * once listening; SIGTERM/SIGINT (or stdin closing) kill every daemon it started and exit.
 */
import { serveLauncher } from './launcher.js';

const i = process.argv.indexOf('--port');
const port = i > 0 ? Number(process.argv[i + 1]) : 0;
const launcher = await serveLauncher({ port, log: (l) => process.stderr.write(`${l}\n`) });
const stop = (): void => {
  void launcher.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdout.write(
  `hcsd-launcher ready ${JSON.stringify({ endpoint: launcher.endpoint, secretFile: launcher.secretFile, pid: process.pid })}\n`,
);

/** The `syncdrift` executable: wires the process to the testable main() in ./syncdrift. */
import { main } from './syncdrift';

// First Ctrl+C cancels the running command cleanly (exit 130); a second one ends the process.
const ctl = new AbortController();
process.on('SIGINT', () => {
  if (ctl.signal.aborted) process.exit(130);
  process.stderr.write('\nsyncdrift: cancelling… (Ctrl+C again to quit at once)\n');
  ctl.abort();
});

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  isTTY: Boolean(process.stderr.isTTY),
  signal: ctl.signal,
})
  .then((code) => {
    process.exitCode = code;
  })
  .catch((e: unknown) => {
    process.stderr.write(`syncdrift: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });

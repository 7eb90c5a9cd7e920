// The one error convention. A UsageError says "what you asked for cannot work as written"
// (a bad option, config file, token file, probe file): the command line prints its message
// and exits 2 (cli/main.ts, the only place that maps errors to exit codes). Any other Error
// is a failure while running: exit 1. Library code throws UsageError directly, never a
// look-alike that the CLI has to rewrap or recognise by its message.
export class UsageError extends Error {
  override name = 'UsageError';
}

// `spreed-setup check`: proves every link of the High Performance Backend and names what is broken,
// with a one-line fix. Kept import-light: `check --help` loads only this file; the checks load on
// run, and ink only when a live dashboard is on screen.
import type { Output } from '../cli/output.js';

export const HELP = `spreed-setup check: prove every link works (server, NATS, Janus, proxy, TLS, Nextcloud, Talk)

Usage:
  spreed-setup check [--root DIR] [--config PATH] [--url PUBLIC-BASE-URL] [--ca FILE | --insecure]
                     [--occ "COMMAND"] [--timeout SECONDS] [--json]

Options:
  --root DIR          read a staged install under DIR (as written by setup --root)
  --config PATH       server.conf path (default: detected, as setup does)
  --url URL           public base URL (default https://HOST/standalone-signaling from the setup)
  --ca FILE           trust this CA (PEM) for the public URL, e.g. a private CA
  --insecure          accept any certificate for the public URL (problems become warnings)
  --occ "COMMAND"     how to run Nextcloud's occ, to check Talk's registration, e.g.
                      --occ "sudo -u www-data php /var/www/nextcloud/occ"
  --timeout SECONDS   per-check time limit (default 5); a whole run takes about this long at most
  --nginx-conf PATH   nginx.conf to read worker limits from (default /etc/nginx/nginx.conf)
  --json              print one JSON report: {"ok", "checks": [{"id","title","status","detail","fix"?}]}
  --debug             show stack traces for unexpected errors

Checks run in parallel; one that needs a failed one is skipped with the reason. Without a
terminal (or with CI set) results are printed line by line; secrets are never printed.
At most one signed probe per backend goes to Nextcloud per run (it counts failures as brute force).

Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 bad usage.
`;

export interface CommandEnv {
  out: Output;
  /** stdin and stdout are a terminal and --yes was not given */
  interactive: boolean;
}

export async function run(argv: string[], env: CommandEnv): Promise<number> {
  const { runCheckCommand } = await import('../check/command.js');
  return runCheckCommand(argv, env);
}

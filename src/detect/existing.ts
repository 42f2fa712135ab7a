// Reads what an existing install already says: its server.conf (by the server's own rules) and
// its secret files. Unreadable or unparsable files are problems: nothing is written over them.
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fromEnvironmentText, parseGoconf, GoconfSyntaxError } from '../goconf/parse.js';
import { deploymentFromConf, type ConfReading } from '../goconf/toModel.js';
import { problem, type Problem } from '../errors.js';
import type { Layout } from '../model/layout.js';
import type { Target } from '../io/target.js';

export interface ExistingInstall {
  configText?: string;
  reading?: ConfReading;
  /** secret name -> file content (trimmed) */
  secretFiles: Map<string, string>;
}

export function readExistingInstall(
  target: Target,
  layout: Layout,
): { existing: ExistingInstall; problems: Problem[] } {
  const problems: Problem[] = [];
  const existing: ExistingInstall = { secretFiles: new Map() };
  const confPath = target.path(layout.configPath);
  let text: string | undefined;
  try {
    // Never read (and so never rewrite) server.conf through a link: it may lead anywhere.
    if (lstatSync(confPath, { throwIfNoEntry: false })?.isSymbolicLink()) {
      problems.push(
        problem(
          `${layout.configPath} is a symbolic link (to ${readlinkSync(confPath)}): spreed-setup writes no file through a link`,
          'replace the link by the file itself, then run again',
        ),
      );
      return { existing, problems };
    }
    text = readFileSync(confPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      problems.push(
        problem(
          `cannot read existing ${layout.configPath}: ${code ?? (err as Error).message}`,
          code === 'EACCES' ? 'run as root (sudo), or fix its permissions' : 'make it a readable file, or move it away',
        ),
      );
    }
  }
  if (text !== undefined) {
    existing.configText = text;
    try {
      const reading = deploymentFromConf(parseGoconf(text));
      existing.reading = reading;
      for (const p of reading.problems)
        problems.push(problem(`existing ${layout.configPath}: ${p}`, 'correct or remove that line, then run again'));
      // A secret from the server's environment cannot be kept: a rewrite would replace it unseen.
      for (const e of reading.fromEnv)
        if (e.secret)
          problems.push(
            problem(
              `existing ${layout.configPath}: [${e.section}] ${e.key} is ${fromEnvironmentText(e.names)}, which spreed-setup cannot read, so a rewrite would replace it`,
              'write the value itself into server.conf (it is then kept), or remove the line to have a new one generated',
            ),
          );
    } catch (err) {
      if (!(err instanceof GoconfSyntaxError)) throw err;
      problems.push(
        problem(`existing ${layout.configPath} ${err.message}`, 'correct or remove that line, then run again'),
      );
    }
  }
  return { existing, problems };
}

export function readSecretFile(target: Target, secretsDir: string, name: string): string | undefined {
  try {
    return readFileSync(target.path(path.join(secretsDir, name)), 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw Object.assign(new Error(`cannot read secret file ${path.join(secretsDir, name)}: ${code}`), { code });
  }
}

// What to do by hand when occ is out of reach or the user declines: the values for Talk's admin
// page and the exact occ command. The secret itself only on explicit request (--show-secret);
// otherwise the path of the file that holds it.
import { formatCommand, occArgv, type OccCommand } from './occ.js';
import { DEFAULT_REMOTE_OCC, occFromString } from './findOcc.js';

export interface ManualValues {
  url: string;
  verify: boolean;
  secretFile: string;
  /** Only when the user asked for it. */
  secret?: string;
  occ?: OccCommand;
}

export function manualInstructions(v: ManualValues): string[] {
  const occ = v.occ ?? occFromString(DEFAULT_REMOTE_OCC);
  const secretArg = v.secret ?? '__SECRET__';
  const cmd = formatCommand(occArgv(occ, 'talk:signaling:add', [v.url, secretArg], v.verify ? ['--verify'] : []));
  const lines = [
    'Register by hand: Nextcloud > Administration settings > Talk > High-performance backend',
    `  URL:                      ${v.url}`,
    `  Validate SSL certificate: ${v.verify ? 'yes' : 'no'}`,
    v.secret !== undefined
      ? `  Shared secret:            ${v.secret}`
      : `  Shared secret:            the content of ${v.secretFile} (--show-secret prints it)`,
    'Or with occ where Nextcloud runs (the secret is an argument there: visible in ps while occ runs):',
  ];
  if (v.secret !== undefined) lines.push(`  ${cmd}`);
  else {
    lines.push(`  SECRET="$(cat ${v.secretFile})"   # on another host: copy the value over`);
    lines.push(`  ${cmd.replace(`'__SECRET__'`, '"$SECRET"').replace('__SECRET__', '"$SECRET"')}`);
  }
  return lines;
}

// Answers files: read (YAML or JSON, bounded, regular files only) into model input, and written
// from a deployment so they replay the same setup (no secrets).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { DeploymentSchema, type Deployment, type DeploymentInput } from '../model/deployment.js';
import { EXIT, UserError, problem, quote, type Problem } from '../errors.js';
import { isSecretKey, withoutUrlPassword } from '../secrets/secrets.js';

type Input = Partial<DeploymentInput>;

const KNOWN_TOP_KEYS = new Set(Object.keys(DeploymentSchema.shape ?? {}));

/** An answers file is a page of settings: anything larger is not one. */
const MAX_ANSWERS_BYTES = 1024 * 1024;

/** How an answers file written by --answers-out names the NATS URL passwords it left out. */
const NATS_PASSWORDS_LEFT_OUT = 'the NATS URL passwords';
const LEFT_OUT_NOTE = '# Left out, being secrets (give them again when you replay this file): ';

export function loadAnswersFile(
  file: string,
  opts: { extraKeys?: readonly string[] } = {},
): {
  input: Input;
  problems: Problem[];
  /** The file says it left NATS URL passwords out (written by --answers-out). */
  natsPasswordsLeftOut?: boolean;
} {
  let text: string;
  try {
    // A regular file of a sane size only: a FIFO or /dev/zero would hang the run, a huge file fill memory.
    const st = statSync(file);
    if (!st.isFile()) {
      return {
        input: {},
        problems: [problem(`answers file ${file} is not a regular file`, 'give the path of a YAML or JSON file')],
      };
    }
    if (st.size > MAX_ANSWERS_BYTES) {
      return {
        input: {},
        problems: [
          problem(
            `answers file ${file} is ${st.size} bytes; answers files are at most ${MAX_ANSWERS_BYTES}`,
            'give the answers file itself (see examples/answers.yaml)',
          ),
        ],
      };
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      input: {},
      problems: [
        problem(
          `cannot read answers file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          'check the path and permissions',
        ),
      ],
    };
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    return {
      input: {},
      problems: [
        problem(
          `answers file ${file} is not valid YAML/JSON: ${first}`,
          'correct the YAML (see examples/answers.yaml)',
        ),
      ],
    };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      input: {},
      problems: [problem(`answers file ${file} must be a mapping of keys`, 'see examples/answers.yaml')],
    };
  }
  const known = new Set([...KNOWN_TOP_KEYS, ...(opts.extraKeys ?? [])]);
  const unknown = Object.keys(data).filter((k) => !known.has(k));
  const problems = unknown.map((k) =>
    problem(`answers file ${file}: unknown key ${quote(k)}`, `known keys: ${[...known].join(', ')}`),
  );
  const natsPasswordsLeftOut = text
    .split('\n')
    .some((l) => l.startsWith(LEFT_OUT_NOTE) && l.includes(NATS_PASSWORDS_LEFT_OUT));
  return { input: data as Input, problems, ...(natsPasswordsLeftOut ? { natsPasswordsLeftOut } : {}) };
}

/**
 * Secrets never go in a written file: secret-like pass-through keys and URL passwords are left out,
 * and named in the note line that heads the file (empty when nothing was left out).
 */
export function withoutSecrets(
  extra: Record<string, Record<string, string>> | undefined,
  natsUrls: readonly string[] | undefined,
): { extra?: Record<string, Record<string, string>>; natsUrls?: string[]; note: string } {
  const left: string[] = [];
  const kept: Record<string, Record<string, string>> = {};
  for (const [section, keys] of Object.entries(extra ?? {})) {
    for (const [key, value] of Object.entries(keys)) {
      if (isSecretKey(key)) left.push(`[${section}] ${key}`);
      else (kept[section] ??= {})[key] = value;
    }
  }
  const urls = natsUrls?.map((u) => withoutUrlPassword(u));
  if (urls?.some((u) => u.had)) left.push(NATS_PASSWORDS_LEFT_OUT);
  return {
    ...(Object.keys(kept).length ? { extra: kept } : {}),
    ...(urls ? { natsUrls: urls.map((u) => u.url) } : {}),
    note: left.length ? `${LEFT_OUT_NOTE}${left.join(', ')}\n` : '',
  };
}

/** The choices as an answers file that replays the same setup (no secrets: they live in files). */
export function renderAnswersFile(d: Deployment, toolVersion: string): string {
  const { extra, ...rest } = d;
  const data: Record<string, unknown> = { ...rest };
  const clean = withoutSecrets(extra, d.nats.mode === 'external' ? d.nats.urls : undefined);
  if (clean.extra) data.extra = clean.extra;
  if (clean.natsUrls) data.nats = { mode: 'external', urls: clean.natsUrls };
  return `# spreed-setup ${toolVersion} answers file (no secrets). Replay: spreed-setup setup --answers FILE --yes\n${clean.note}${stringifyYaml(data)}`;
}

/** Saves the choices (no secrets) as an answers file that replays this setup. */
export async function writeAnswersOut(file: string, d: Deployment, toolVersion: string): Promise<void> {
  const { default: writeFileAtomic } = await import('write-file-atomic');
  const dir = path.dirname(path.resolve(file));
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UserError([
      problem(`--answers-out ${file}: the directory ${dir} does not exist`, 'create it first, or choose another path'),
    ]);
  }
  try {
    await writeFileAtomic(file, renderAnswersFile(d, toolVersion), { mode: 0o644 });
  } catch (err) {
    throw new UserError(
      [
        problem(
          `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          'choose a writable path for --answers-out',
        ),
      ],
      EXIT.failed,
    );
  }
}

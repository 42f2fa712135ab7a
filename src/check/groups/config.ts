// The config check: server.conf judged by the server's own rules, for the version that runs (or
// the one setup rendered for). It reads the parsed setup only: no IO.
import {
  fromEnvironmentText,
  getValue,
  interpolationProblem,
  readBool,
  readServerValue,
  splitList,
  type ServerValue,
} from '../../goconf/parse.js';
import { deploymentFromConf } from '../../goconf/toModel.js';
import { nextcloudUrlProblem } from '../../model/urls.js';
import {
  envExpansionSince,
  formatVersion,
  parseVersion,
  traitsFor,
  TRAIT_SINCE,
  type Version,
} from '../../model/versions.js';
import { BLOCKKEY, HASHKEY, PUBLIC_PLACEHOLDERS } from '../../secrets/secrets.js';
import type { CheckContext, CheckDef } from '../runner.js';
import type { GroupContext } from './context.js';
import { fail, pass, warn } from './outcome.js';

export function configChecks(g: GroupContext<unknown>): CheckDef[] {
  const { setup, restartFix } = g;

  /** Version of the installed server: the running one, else what setup rendered for. */
  const serverVersion = async (ctx: CheckContext): Promise<{ version?: Version; source: string }> => {
    const local = await ctx.outcome('server');
    const v = local?.data?.version as Version | undefined;
    if (v) return { version: v, source: 'the running server' };
    const rendered = parseVersion(setup.renderedFor);
    if (rendered) return { version: rendered, source: 'what setup rendered for' };
    return { source: 'unknown' };
  };
  const defs: CheckDef[] = [];
  defs.push({
    id: 'config',
    title: 'Config',
    async run(ctx) {
      if (setup.interrupted)
        return fail(
          `an earlier spreed-setup run was interrupted while writing (${setup.interrupted}): the files may be half old, half new`,
          "run spreed-setup setup again: taking its lock, it first puts that run's files back",
        );
      if (!setup.doc)
        return fail(
          `${setup.configPath} ${setup.parseError ?? 'does not parse'}`,
          'correct that line (the server cannot start with it), or run spreed-setup setup',
        );
      const doc = setup.doc;
      const problems: { detail: string; fix: string }[] = [];
      const warnings: { detail: string; fix: string }[] = [];
      /** Facts worth a line in a passing verdict (values the server takes from its environment). */
      const notes: string[] = [];
      const { version, source } = await serverVersion(ctx);
      const t = version ? traitsFor(formatVersion(version)) : undefined;
      const vText = version ? `${formatVersion(version)} (${source})` : undefined;
      // Read as the server of that version reads it (unknown: `$(VAR)` may be expanded).
      const opts = { version: version ? formatVersion(version) : undefined, env: setup.env };
      const reading = setup.reading ? deploymentFromConf(doc, opts) : undefined;
      for (const p of reading?.problems ?? [])
        problems.push({ detail: p, fix: 'correct it in server.conf, or run spreed-setup setup' });
      for (const e of reading?.fromEnv ?? []) notes.push(`[${e.section}] ${e.key} ${fromEnvironmentText(e.names)}`);
      for (const [section, entries] of doc.sections)
        for (const key of entries.keys()) {
          const unfold = interpolationProblem(doc, section, key);
          if (unfold)
            warnings.push({
              detail: `[${section}] ${key}: ${unfold}`,
              fix: `define the name in [${section}] or [default], or write the value itself`,
            });
        }
      const ids = splitList(getValue(doc, 'backend', 'backends')).map((s) => s.toLowerCase());
      for (const e of reading?.literalEnv ?? []) {
        const since = envExpansionSince(ids.includes(e.section) ? '*backend*' : e.section, e.key);
        warnings.push({
          detail: `[${e.section}] ${e.key} holds ${e.names.map((n) => `$(${n})`).join(', ')}, which the server${vText ? ` ${vText}` : ''} takes literally (${since ? `the environment is read there only from ${since}` : 'no release reads the environment there'})`,
          fix: since ? `write the value itself, or install ${since} or newer` : 'write the value itself',
        });
      }
      for (const [name, section, key] of [
        ['hashkey', 'sessions', 'hashkey'],
        ['blockkey', 'sessions', 'blockkey'],
        ['internalsecret', 'clients', 'internalsecret'],
      ] as const) {
        // Set from the environment: its value (and length) cannot be judged from here.
        if (reading?.fromEnv.some((e) => e.secret === name)) continue;
        const v = reading?.secrets.get(name) ?? setup.secrets.get(name);
        if (v === undefined || v.trim() === '') {
          problems.push({
            detail:
              name === 'internalsecret'
                ? '[clients] internalsecret is empty: internal clients get invalid_client_type'
                : name === 'hashkey'
                  ? `[sessions] hashkey is missing: ${t && !t.emptyHashkeyFatal ? `server ${vText} starts but cannot create session ids` : `the server exits ("hash key is not set"; fatal from ${TRAIT_SINCE.emptyHashkeyFatal})`}`
                  : `[${section}] ${key} is missing`,
            fix: `spreed-setup setup --rotate ${name} --yes (generates it), then ${restartFix.split(': ')[1]}`,
          });
          continue;
        }
        if (PUBLIC_PLACEHOLDERS.has(v.trim())) {
          problems.push({
            detail: `[${section}] ${key} still holds the upstream template's public placeholder`,
            fix: `spreed-setup setup --rotate ${name} --yes (a private random value), then restart the server`,
          });
          continue;
        }
        const spec = name === 'hashkey' ? HASHKEY : name === 'blockkey' ? BLOCKKEY : undefined;
        const lengthProblem = spec?.check(v);
        if (lengthProblem) {
          (name === 'blockkey' ? problems : warnings).push({
            detail: `[${section}] ${key} ${lengthProblem}`,
            fix: `spreed-setup setup --rotate ${name} --yes`,
          });
        }
      }
      const read = (section: string, key: string, backend = false) =>
        readServerValue(doc, section, key, { ...opts, ...(backend ? { tableSection: '*backend*' } : {}) });
      /** Set: a non-empty value, or one the server takes from its environment. */
      const isSet = (v: ServerValue) => v.kind === 'env' || (v.kind === 'value' && v.value !== '');
      const common = read('backend', 'secret');
      const allowAll = readBool(doc, 'backend', 'allowall');
      const allowed = reading?.allowedHosts ?? [];
      if (ids.length === 0 && !allowAll && allowed.length === 0) {
        problems.push({
          detail: '[backend] backends names no backend: every client gets invalid_backend',
          fix: 'spreed-setup setup --nextcloud https://cloud.example.org --yes',
        });
      }
      if (allowed.length) {
        if (!isSet(common))
          problems.push({
            detail: `[backend] allowed = ${allowed.join(', ')} (the legacy form) needs the common [backend] secret, which is empty`,
            fix: 'add secret = … to [backend], or run spreed-setup setup (it writes [backend] backends)',
          });
        else notes.push(`legacy [backend] allowed = ${allowed.join(', ')} with the common secret`);
      }
      for (const id of allowAll ? [] : ids) {
        const urlsValue = read(id, 'urls', true);
        const urlValue = read(id, 'url', true);
        const secret = read(id, 'secret', true);
        const text = (v: ServerValue) => (v.kind === 'value' ? v.value : v.kind === 'env' ? v.written : '');
        const urls = text(urlsValue);
        const url = text(urlValue);
        if (!doc.sections.has(id) || (!urls && !url)) {
          problems.push({
            detail: `backend "${id}" has no section or no url: the server logs "Backend ${id} is missing or incomplete, skipping"`,
            fix: `add [${id}] with url = <Nextcloud base URL> and secret, or run spreed-setup setup`,
          });
          continue;
        }
        if (urls && !url && t && !t.backendUrls) {
          problems.push({
            detail: `[${id}] urls is read only from ${TRAIT_SINCE.backendUrls}; server ${vText} ignores it, so the backend is incomplete`,
            fix: `write url = ${splitList(urls)[0]} instead (spreed-setup setup renders it for the installed version)`,
          });
        }
        if (!isSet(secret) && (!isSet(common) || (t && !t.backendSecretFallback))) {
          problems.push({
            detail: `[${id}] has no secret${isSet(common) ? ` (the common [backend] secret is used only from ${TRAIT_SINCE.backendSecretFallback}; server ${vText})` : ''}`,
            fix: `add secret = … to [${id}] (spreed-setup setup generates one)`,
          });
        }
        // A URL from the server's environment cannot be judged here (noted above).
        if ((urls ? urlsValue : urlValue).kind === 'env') continue;
        for (const u of splitList(urls || url)) {
          const bad = nextcloudUrlProblem(u);
          if (bad)
            problems.push({
              detail: `[${id}] url ${u} ${bad}`,
              fix: `set [${id}] url to Nextcloud's base URL (as in its overwrite.cli.url)`,
            });
          const host = /^[a-z]+:\/\/([^/:?#]+)/i.exec(u)?.[1];
          if (host && host !== host.toLowerCase()) {
            warnings.push({
              detail: `[${id}] url ${u}: the server compares host names case-sensitively, and Nextcloud sends "${host.toLowerCase()}"`,
              fix: `write the host in lower case: ${u.replace(host, host.toLowerCase())}`,
            });
          }
        }
      }
      const natsUrl = getValue(doc, 'nats', 'url');
      if (natsUrl !== undefined && t) {
        const list = splitList(natsUrl);
        if (t.natsLoopbackUrl === ':loopback:' && list.some((u) => /^nats:\/\/loopback\/?$/i.test(u))) {
          problems.push({
            detail: `[nats] url = ${natsUrl}: server ${vText} resolves "loopback" as a host name and hangs`,
            fix: 'write url = :loopback: for 0.4.1 (or install 2.0 or newer)',
          });
        } else if (t.natsLoopbackUrl !== ':loopback:' && list.includes(':loopback:')) {
          warnings.push({
            detail: `[nats] url = :loopback: is 0.4.1's spelling; server ${vText} uses nats://loopback`,
            fix: `write url = ${t.natsLoopbackUrl}`,
          });
        }
      }
      for (const w of reading?.notices ?? [])
        if (w.startsWith('[backend] allowall = '))
          warnings.push({ detail: w, fix: 'set [backend] allowall = false outside development' });
      if (problems.length) {
        const more =
          problems.length + warnings.length > 1
            ? ` (+${problems.length + warnings.length - 1} more: ${[...problems, ...warnings]
                .slice(1)
                .map((p) => p.detail)
                .join('; ')})`
            : '';
        return fail(problems[0]!.detail + more, problems[0]!.fix);
      }
      if (warnings.length) return warn(warnings.map((w) => w.detail).join('; '), warnings[0]!.fix);
      return pass(
        `${setup.configPath} parses as the server reads it; keys valid; ${ids.length} backend(s) complete${vText ? ` for ${vText}` : ''}${notes.length ? `; ${[...new Set(notes)].join('; ')}` : ''}`,
      );
    },
  });
  return defs;
}

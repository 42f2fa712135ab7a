// Issue 10's hostile corpus: payloads × fields × the four input paths (command-line flags,
// answers files, an existing install read back on a re-run, wizard answers). Each run case exits
// 2 with one clean `error:` line per problem (with its fix), shows the input escaped and short,
// writes nothing, and prints no secret; each wizard case is refused by its check with one line.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../harness/tmp.js';
import { captureOutput, runInProcess } from './inProcess.js';
import { ANSWER_CHECKS, loadModel, runWizard } from '../../src/ask/wizard.js';
import { parseSetupArgs } from '../../src/options/setup.js';
import { ScriptedPrompter } from '../wizard/scripted.js';
import { treeState } from './run.js';

const CONF_DIR = 'etc/nextcloud-spreed-signaling';
const HOST = 'hpb.example.org';
const NC = 'https://cloud.example.org';
/** Raw control bytes, DEL and C1 controls: none may reach the output. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

interface Payload {
  name: string;
  text: string;
  /** Only where the value reaches nginx (elsewhere these bytes are plain text). */
  nginxOnly?: boolean;
  /** Not in pass-through keys: `$(VAR)` is theirs to use. */
  notExtra?: boolean;
  /** Cannot be passed in argv (a NUL byte). */
  notArgv?: boolean;
}

const PAYLOADS: Payload[] = [
  { name: 'a forged error line', text: '\nerror: forged' },
  { name: 'a carriage return', text: '\rerror: forged' },
  { name: 'a terminal-title sequence', text: '\u001b]0;pwned\u0007' },
  { name: 'DEL', text: 'x\u007f' },
  { name: 'a C1 control (CSI)', text: '\u009b2J' },
  { name: 'a tab', text: '\tx' },
  { name: 'a NUL byte', text: '\u0000x', notArgv: true },
  { name: 'goconf interpolation', text: '%(hashkey)s' },
  { name: 'an environment reference', text: '$(HOME)', notExtra: true },
  { name: 'a goconf comment cut " ;"', text: 'x ;cut' },
  { name: 'a goconf comment cut " #"', text: 'x #cut' },
  { name: 'a closed nginx block', text: ';}server{return', nginxOnly: true },
  { name: 'an over-long value', text: 'a'.repeat(5000) },
];

/** Each error line is clean and carries its fix; the output holds no raw control byte, no huge line, no secret. */
function expectRefused(
  r: { code: number; stderr: string; all: string },
  opts: { problems?: number; secrets?: string[] } = {},
) {
  expect(r.code, r.all).toBe(2);
  const lines = r.stderr.split('\n').filter(Boolean);
  for (const l of lines) expect(/^(error|notice): /.test(l), l).toBe(true);
  const errors = lines.filter((l) => l.startsWith('error: '));
  expect(errors.length, r.stderr).toBe(opts.problems ?? 1);
  for (const e of errors) expect(e, e).toMatch(/ — fix: \S/);
  expect(r.all).not.toMatch(RAW_CONTROL);
  for (const l of r.all.split('\n')) expect(l.length, l.slice(0, 80)).toBeLessThan(600);
  for (const s of opts.secrets ?? []) expect(r.all).not.toContain(s);
}

async function refusedRun(root: string, argv: string[], opts: Parameters<typeof expectRefused>[1] = {}) {
  const before = treeState(root);
  const r = await runInProcess(argv);
  expectRefused(r, opts);
  // Nothing written: byte-identical, so no injected byte in any file either.
  expect(treeState(root)).toEqual(before);
  return r;
}

// ---- 1. command-line flags -------------------------------------------------------------------

const FLAG_FIELDS: Array<{ flag: string; value: (p: string) => string[]; nginx?: boolean }> = [
  { flag: '--hostname', value: (p) => ['--hostname', `hpb${p}.example.org`], nginx: true },
  { flag: '--nextcloud', value: (p) => ['--nextcloud', `${NC}/nc${p}`] },
  { flag: '--nats', value: (p) => ['--nats', `nats://10.0.0.5:4222/${p}`] },
  { flag: '--listen', value: (p) => ['--listen', `127.0.0.1:8080${p}`], nginx: true },
  { flag: '--janus', value: (p) => ['--janus', `ws://127.0.0.1:8188/${p}`] },
  {
    flag: '--tls-cert',
    value: (p) => ['--tls-cert', `/etc/ssl/c${p}.pem`, '--tls-key', '/etc/ssl/k.pem'],
    nginx: true,
  },
  { flag: '--tls-key', value: (p) => ['--tls-cert', '/etc/ssl/c.pem', '--tls-key', `/etc/ssl/k${p}.pem`], nginx: true },
  { flag: '--server-version', value: (p) => ['--server-version', `2.0.2${p}`] },
  { flag: '--nginx', value: (p) => ['--nginx', `site${p}`], nginx: true },
];

const FLAG_CASES = FLAG_FIELDS.flatMap((f) =>
  PAYLOADS.filter((p) => !p.notArgv && (!p.nginxOnly || f.nginx)).map(
    (p) => [`${f.flag} with ${p.name}`, f, p] as const,
  ),
);

describe('hostile flags', () => {
  it.each(FLAG_CASES)('%s', async (_name, f, p) => {
    const root = tempDir('spreed-hostile-');
    const argv = ['setup', '--yes', '--root', root, '--hostname', HOST, '--nextcloud', NC, ...f.value(p.text)];
    // --nextcloud takes several URLs separated by whitespace: each bad one is its own problem.
    const items = f.value(p.text)[1]!.split(/\s+/).filter(Boolean).length;
    const r = await refusedRun(root, argv, { problems: f.flag === '--nextcloud' ? Math.max(1, items - 1) : 1 });
    // The error names the flag that gave the value.
    expect(r.stderr).toContain(f.flag);
  });
});

// ---- 2. answers files ------------------------------------------------------------------------

/** YAML double-quoted scalar: every byte survives (\n, \e, \0, \x7f, \x9b …). */
const yq = (s: string) =>
  JSON.stringify(s)
    .replace(/\u007f/g, '\\x7f')
    .replace(/\u009b/g, '\\x9b');

const ANSWER_FIELDS: Array<{
  field: string;
  yaml: (v: string) => string;
  base: string;
  nginx?: boolean;
  extra?: boolean;
}> = [
  { field: 'hostname', base: 'hpb.example.org', yaml: (v) => `hostname: ${v}\n`, nginx: true },
  { field: 'basePath', base: '/standalone-signaling', yaml: (v) => `basePath: ${v}\n`, nginx: true },
  { field: 'listen', base: '127.0.0.1:8080', yaml: (v) => `listen: ${v}\n`, nginx: true },
  { field: 'backends.id', base: 'cloud', yaml: (v) => `backends:\n  - id: ${v}\n    urls: [${NC}]\n` },
  { field: 'backends.urls', base: `${NC}/x`, yaml: (v) => `backends:\n  - id: cloud\n    urls: [${v}]\n` },
  { field: 'nats.urls', base: 'nats://10.0.0.5:4222/x', yaml: (v) => `nats:\n  mode: external\n  urls: [${v}]\n` },
  { field: 'mcu.url (janus)', base: 'ws://127.0.0.1:8188/x', yaml: (v) => `mcu:\n  type: janus\n  url: ${v}\n` },
  {
    field: 'mcu.urls (proxy)',
    base: 'https://proxy.example.org/x',
    yaml: (v) => `mcu:\n  type: proxy\n  urls: [${v}]\n  tokenId: t\n  tokenKey: /etc/k.pem\n`,
  },
  {
    field: 'mcu.tokenKey',
    base: '/etc/k.pem',
    yaml: (v) => `mcu:\n  type: proxy\n  urls: [https://p.example.org]\n  tokenId: t\n  tokenKey: ${v}\n`,
  },
  {
    field: 'turn.servers',
    base: 'turn:turn.example.org:3478',
    yaml: (v) => `mcu:\n  type: janus\nturn:\n  servers: [${v}]\n`,
  },
  { field: 'https.certificate', base: '/etc/ssl/c.pem', yaml: (v) => `https:\n  certificate: ${v}\n` },
  {
    field: 'https.listen',
    base: '127.0.0.1:8443',
    yaml: (v) => `https:\n  listen: ${v}\n  certificate: /c\n  key: /k\n`,
  },
  { field: 'grpc.targets', base: '10.0.0.6:9090', yaml: (v) => `grpc:\n  targets: [${v}]\n` },
  { field: 'etcd.endpoints', base: 'http://127.0.0.1:2379/x', yaml: (v) => `etcd:\n  endpoints: [${v}]\n` },
  {
    field: 'nginx.certificate',
    base: '/etc/ssl/c.pem',
    yaml: (v) => `nginx:\n  certificate: ${v}\n  key: /k\n`,
    nginx: true,
  },
  { field: 'nginx.acmeWebroot', base: '/var/www/html', yaml: (v) => `nginx:\n  acmeWebroot: ${v}\n`, nginx: true },
  { field: 'extra value', base: 'false', yaml: (v) => `extra:\n  app:\n    debug: ${v}\n`, extra: true },
  { field: 'extra key', base: 'debug', yaml: (v) => `extra:\n  app:\n    ? ${v}\n    : "false"\n`, extra: true },
];

const ANSWER_PAYLOADS = PAYLOADS.filter((p) =>
  [
    'a forged error line',
    'a terminal-title sequence',
    'a NUL byte',
    'goconf interpolation',
    'a C1 control (CSI)',
    'an over-long value',
    'a closed nginx block',
    'an environment reference',
  ].includes(p.name),
);

const ANSWER_CASES = ANSWER_FIELDS.flatMap((f) =>
  ANSWER_PAYLOADS.filter((p) => (!p.nginxOnly || f.nginx) && (!p.notExtra || !f.extra)).map(
    (p) => [`${f.field} with ${p.name}`, f, p] as const,
  ),
);

describe('hostile answers files', () => {
  it.each(ANSWER_CASES)('%s', async (_name, f, p) => {
    const root = tempDir('spreed-hostile-');
    const dir = tempDir('spreed-answers-');
    const file = path.join(dir, 'answers.yaml');
    const top = f.yaml(yq(f.base + p.text));
    const needsHost = !top.startsWith('hostname:');
    const needsNc = !top.startsWith('backends:');
    writeFileSync(
      file,
      `${needsHost ? `hostname: ${HOST}\n` : ''}${needsNc ? `backends:\n  - id: cloud\n    urls: [${NC}]\n` : ''}${top}`,
    );
    const r = await refusedRun(root, ['setup', '--yes', '--root', root, '--answers', file]);
    expect(r.stderr).toContain('in the answers file');
  });
});

// ---- 3. an existing install read back on a re-run --------------------------------------------

const HEX = (c: string, n = 64) => c.repeat(n);
const SECRET_A = 'c0ffee'.repeat(10) + 'beef'; // 64
const SECRET_B = 'deadbeef'.repeat(4); // 32

/** A working server.conf with one backend "cloud"; `more` is appended (later keys win). */
const conf = (more: string) =>
  `[http]\nlisten = 127.0.0.1:8080\n[sessions]\nhashkey = ${HEX('1')}\nblockkey = ${HEX('2', 32)}\n[clients]\ninternalsecret = ${HEX('3')}\n[backend]\nbackends = cloud\n[cloud]\nurl = ${NC}\nsecret = ${SECRET_A}\n${more}`;

interface Planted {
  name: string;
  files: Record<string, string>;
  secrets?: string[];
  says: RegExp;
  /** More than one problem, each its own line. */
  problems?: number;
}

const PLANTED: Planted[] = [
  // server.conf
  ...[
    ['a backend URL taking the backend secret', `[cloud]\nurl = ${NC}/%(secret)s\n`, /takes the secret %\(secret\)s/],
    [
      'a NATS URL taking the hash key',
      '[nats]\nurl = nats://10.0.0.5:4222/%(hashkey)s\n',
      /takes the secret %\(hashkey\)s/,
    ],
    [
      'a Janus URL taking the internal secret',
      '[mcu]\ntype = janus\nurl = ws://127.0.0.1:8188/%(internalsecret)s\n',
      /takes the secret/,
    ],
    ['an extra key taking the backend secret', '[app]\ncopy = %(secret)s\n', /takes the secret/],
    [
      'a default-section reference to a token',
      '[default]\ntoken = abcd1234\n[app]\nx = %(token)s\n',
      /takes the secret %\(token\)s/,
    ],
    ['a listen address closing an nginx block', '[http]\nlisten = 127.0.0.1:8080;}\n', /HOST:PORT/],
    ['a listen address on an invalid IP', '[http]\nlisten = 999.999.999.999:8080\n', /not a valid host name/],
    ['an escape sequence in a pass-through value', '[app]\ndebug = false\u001b]0;pwned\u0007\n', /control character/],
    ['a NUL in a pass-through value', '[app]\ndebug = fa\u0000lse\n', /control character/],
    ['a C1 control in a backend URL', `[cloud]\nurl = ${NC}/\u009b2J\n`, /control character/],
    [
      'a BEL in a TURN server',
      '[mcu]\ntype = janus\n[turn]\nservers = turn:t.example.org\u0007\napikey = a\nsecret = b\n',
      /control character/,
    ],
    ['an over-long pass-through line', `[app]\nnote = ${'n'.repeat(8000)}\n`, /at most 4096/],
    ['an over-long backend URL', `[cloud]\nurl = ${NC}/${'p'.repeat(6000)}\n`, /at most 4096/],
    [
      'a certificate path closing an nginx block',
      '[https]\nlisten = 127.0.0.1:8443\ncertificate = /etc/ssl/c;}.pem\nkey = /k\n',
      /absolute path without/,
    ],
    [
      'an environment reference in a Janus URL',
      '[mcu]\ntype = janus\nurl = ws://127.0.0.1:8188/$(HOME)\n',
      /environment/,
    ],
    ['an invalid trusted proxy', '[app]\ntrustedproxies = 999.999.999.999\n', /IP address or CIDR/],
    ['a stats IP with an escape', '[stats]\nallowed_ips = 127.0.0.1\u001b[2J\n', /IP address or CIDR/],
    [
      'a gRPC listen address with a reference',
      '[grpc]\nlisten = 0.0.0.0:9090%(blockkey)s\n',
      /takes the secret %\(blockkey\)s/,
    ],
  ].map(([name, more, says]) => ({
    name: `server.conf: ${name as string}`,
    files: { [`${CONF_DIR}/server.conf`]: conf(more as string) },
    secrets: [SECRET_A, HEX('1'), HEX('3')],
    says: says as RegExp,
    // [mcu] has no internalsecret: the server reads the URL as empty, which is a second problem.
    ...(/internal secret/.test(name as string) ? { problems: 2 } : {}),
  })),
  {
    name: 'server.conf: a hash key continued on the next line',
    files: {
      [`${CONF_DIR}/server.conf`]: `[sessions]\nhashkey = ${SECRET_B}\n${SECRET_B}\nblockkey = ${HEX('2', 32)}\n`,
    },
    secrets: [SECRET_B],
    says: /has no "=", so the server appends it to \[sessions\] hashkey/,
  },
  {
    name: 'server.conf: a backend secret continued on the next line',
    files: { [`${CONF_DIR}/server.conf`]: `${conf('')}0123456789abcdef0123456789abcdef\n` },
    secrets: [SECRET_A, '0123456789abcdef0123456789abcdef'],
    says: /appends it to \[cloud\] secret/,
  },
  {
    name: 'server.conf: a secret on a line before any key',
    files: { [`${CONF_DIR}/server.conf`]: `[sessions]\n${SECRET_A}\n` },
    secrets: [SECRET_A],
    says: /cannot parse it/,
  },
  // the state file
  ...[
    ['a hostname with a title sequence', 'hostname: "hpb.example.org\\e]0;x\\a"\n', /not a valid host name/],
    ['a hostname that is no address', 'hostname: 999.999.999.999\n', /not a valid host name/],
    ['a base path closing a block', 'hostname: hpb.example.org\nbasePath: "/sig;}"\n', /must start with/],
    [
      'a certificate path closing the server block',
      'hostname: hpb.example.org\nnginx:\n  certificate: "/etc/ssl/c.pem;}server{return"\n',
      /absolute path without/,
    ],
    [
      'an ACME webroot with a directive',
      'hostname: hpb.example.org\nnginx:\n  acmeWebroot: "/var/www/html;break"\n',
      /absolute path without/,
    ],
    [
      'a bind address that is no address',
      'hostname: hpb.example.org\nnginx:\n  bindAddress: "::::"\n',
      /IPv4 address or an IPv6/,
    ],
    ['an over-long key path', `hostname: hpb.example.org\nnginx:\n  key: /${'k'.repeat(5000)}\n`, /at most 4096/],
    ['a key path with a NUL', 'hostname: hpb.example.org\nnginx:\n  key: "/k\\0.pem"\n', /absolute path without/],
  ].map(([name, yaml, says]) => ({
    name: `state file: ${name as string}`,
    files: { [`${CONF_DIR}/server.conf`]: conf(''), [`${CONF_DIR}/spreed-setup.yaml`]: yaml as string },
    secrets: [SECRET_A],
    says: says as RegExp,
  })),
  // secret files
  ...[
    ['hashkey', `${'%(blockkey)s'}${'a'.repeat(52)}`, /contains "%\("/],
    ['internalsecret', 'abc$(HOME)def', /contains "\$\("/],
    ['backend-cloud', 'abc\n[backend]\nallowall = true', /spaces or control characters/],
    ['backend-cloud', `s3cr3t\u001b]0;x\u0007`, /spaces or control characters/],
    ['internalsecret', 'x'.repeat(5000), /at most 1024/],
  ].map(([file, value, says]) => ({
    name: `secret file ${file as string}: ${JSON.stringify(value).slice(1, 30)}`,
    files: {
      [`${CONF_DIR}/server.conf`]: `[http]\nlisten = 127.0.0.1:8080\n[backend]\nbackends = cloud\n[cloud]\nurl = ${NC}\n`,
      [`${CONF_DIR}/secrets/${file as string}`]: value as string,
    },
    secrets: [value as string],
    says: says as RegExp,
  })),
];

describe('hostile values in an existing install', () => {
  it.each(PLANTED.map((p) => [p.name, p] as const))('%s', async (_name, p) => {
    const root = tempDir('spreed-hostile-');
    for (const [rel, text] of Object.entries(p.files)) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), text, { mode: 0o600 });
    }
    const hasHost = Object.keys(p.files).some((f) => f.endsWith('spreed-setup.yaml'));
    const hasBackends = /^backends = /m.test(p.files[`${CONF_DIR}/server.conf`] ?? '');
    const argv = ['setup', '--yes', '--root', root, ...(hasHost ? [] : ['--hostname', HOST])];
    const r = await refusedRun(root, [...argv, ...(hasBackends ? [] : ['--nextcloud', NC])], {
      secrets: (p.secrets ?? []).filter((s) => s.length >= 8),
      ...(p.problems ? { problems: p.problems } : {}),
    });
    expect(r.stderr).toMatch(p.says);
  });
});

// ---- 4. wizard answers -----------------------------------------------------------------------

const WIZARD_FIELDS: Array<{ check: keyof typeof ANSWER_CHECKS; value: (p: string) => string }> = [
  { check: 'hostname', value: (p) => `hpb${p}.example.org` },
  { check: 'nextcloud', value: (p) => `${NC}/nc${p}` },
  { check: 'natsUrls', value: (p) => `nats://10.0.0.5:4222/${p}` },
  { check: 'janusUrl', value: (p) => `ws://127.0.0.1:8188/${p}` },
  { check: 'turnServers', value: (p) => `turn:turn.example.org:3478${p}` },
  { check: 'path', value: (p) => `/etc/ssl/c${p}.pem` },
  { check: 'listen', value: (p) => `127.0.0.1:8080${p}` },
];

const WIZARD_CASES = WIZARD_FIELDS.flatMap((f) =>
  PAYLOADS.filter(
    // Inside a list answer, whitespace separates items: " ;cut" is then an item of its own.
    (p) => !p.nginxOnly || ['hostname', 'path', 'listen'].includes(f.check),
  ).map((p) => [`${f.check} with ${p.name}`, f, p] as const),
);

describe('hostile wizard answers', () => {
  // The checks past the first two use the model's schemas, which the wizard loads after its first prompt.
  beforeAll(loadModel);
  it.each(WIZARD_CASES)('%s: refused with a one-line reason', (_name, f, p) => {
    const check = ANSWER_CHECKS[f.check];
    expect(check(f.value(''))).toBeUndefined();
    const why = check(f.value(p.text));
    expect(why, JSON.stringify(f.value(p.text)).slice(0, 80)).toBeTypeOf('string');
    expect(why!).not.toMatch(RAW_CONTROL);
    expect(why!).not.toContain('\n');
    expect(why!.length).toBeLessThan(300);
  });
});

it('the wizard itself shows each refusal as one escaped line and writes nothing before its confirm', async () => {
  const root = tempDir('spreed-hostile-');
  const before = treeState(root);
  const prompter = new ScriptedPrompter([
    { expect: /Public hostname/, text: ['hpb\u001b]0;pwned\u0007.org', 'hpb.example.org'] },
    { expect: /Nextcloud URL/, text: [`${NC}/%(secret)s`, `${NC}/\nerror: forged`, NC] },
    { expect: /other settings/, choose: 'customize' },
    { expect: /One server, or several/, choose: 'one' },
    { expect: /NATS/, choose: 'loopback' },
    { expect: /MCU/, choose: 'none' },
    { expect: /TURN on this host/, confirm: false },
    { expect: /nginx in front/, choose: 'site' },
    { expect: /TLS certificate/, text: ['/etc/ssl/c.pem;}server{return', ''] },
    { expect: /TLS private key/, text: ['/etc/ssl/$host.pem', ''] },
    { expect: /listens/, text: ['127.0.0.1:8080\u009b2J', ''] },
    { expect: /Write these files/, cancel: true },
  ]);
  const { out } = captureOutput();
  const code = await runWizard(parseSetupArgs(['--root', root, '--server-version', '2.0.2']), {
    prompter,
    out,
    toolVersion: 'test',
    environment: { fqdn: 'vm.example.net', letsEncryptHosts: [], nginxServerNames: [] },
  });
  expect(code).toBe(130);
  expect(prompter.validationErrors).toHaveLength(6);
  for (const e of prompter.validationErrors) {
    expect(e).not.toMatch(RAW_CONTROL);
    expect(e).not.toContain('\n');
  }
  expect(prompter.validationErrors[0]).toContain('\\x1b]0;pwned\\x07');
  expect(treeState(root)).toEqual(before);
});

it('the corpus has at least 150 distinct inputs', () => {
  const inputs = new Set([
    ...FLAG_CASES.map(([, f, p]) => `flag ${f.value(p.text).join(' ')}`),
    ...ANSWER_CASES.map(([, f, p]) => `answers ${f.yaml(yq(f.base + p.text))}`),
    ...PLANTED.map((p) => `existing ${JSON.stringify(p.files)}`),
    ...WIZARD_CASES.map(([, f, p]) => `wizard ${f.check} ${f.value(p.text)}`),
  ]);
  expect(inputs.size).toBeGreaterThanOrEqual(150);
});

// register's pure parts: finding occ (docker, AIO, snap, NixOS, bare metal, ssh) without those
// tools, the occ argv, Talk's output, the wrong-user text, and the one-secret decision.
import { describe, expect, it } from 'vitest';
import { decideRegistration, decideStun, decideTurn } from '../../src/register/decide.js';
import { sameTalkServer as sameServer } from '../../src/model/urls.js';
import {
  detectOcc,
  occFromString,
  occOverSsh,
  userNameFromPasswd,
  type DetectEnv,
} from '../../src/register/findOcc.js';
import {
  asUser,
  classifyFailure,
  formatCommand,
  occArgv,
  parseWrongUser,
  shellQuote,
  splitCommand,
  type ExecResult,
} from '../../src/register/occ.js';
import { isUndefinedCommand, parseSignalingList, parseStatus, talkAppState } from '../../src/register/talk.js';
import { manualInstructions } from '../../src/register/manual.js';

function fakeEnv(o: {
  files?: Record<string, number>;
  bins?: string[];
  docker?: string;
  uid?: number;
  passwd?: Record<number, string>;
}): DetectEnv & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    exists: (p) => p in (o.files ?? {}),
    ownerUid: (p) => o.files?.[p],
    userName: (uid) => o.passwd?.[uid],
    currentUid: () => o.uid ?? 0,
    which: (n) => ((o.bins ?? []).includes(n) ? `/usr/bin/${n}` : undefined),
    exec: async (file, args) => {
      calls.push([file, ...args]);
      return {
        exitCode: o.docker === undefined ? 1 : 0,
        stdout: o.docker ?? '',
        stderr: '',
        timedOut: false,
        notFound: false,
      };
    },
  };
}

describe('finding occ', () => {
  it('official docker image: docker exec -u www-data CONTAINER php occ, no -t', async () => {
    const env = fakeEnv({ bins: ['docker'], docker: 'db\tmariadb:11\nnc\tnextcloud:30-apache\nproxy\tnginx:1\n' });
    const [occ] = await detectOcc(env);
    expect(occ?.argv).toEqual(['docker', 'exec', '-u', 'www-data', 'nc', 'php', 'occ']);
    expect(occ?.kind).toBe('docker');
    expect(env.calls[0]).toEqual(['/usr/bin/docker', 'ps', '--format', '{{.Names}}\t{{.Image}}']);
    expect(occ!.argv).not.toContain('-t');
    expect(occ!.argv).not.toContain('-it');
  });

  it('Nextcloud AIO: docker exec --user www-data nextcloud-aio-nextcloud php occ', async () => {
    const env = fakeEnv({
      bins: ['docker'],
      docker:
        'nextcloud-aio-mastercontainer\tnextcloud/all-in-one:latest\nnextcloud-aio-nextcloud\tghcr.io/nextcloud-releases/aio-nextcloud:latest\n',
    });
    const found = await detectOcc(env);
    expect(found).toHaveLength(1);
    expect(found[0]!.argv).toEqual(['docker', 'exec', '--user', 'www-data', 'nextcloud-aio-nextcloud', 'php', 'occ']);
  });

  it('snap and NixOS wrappers', async () => {
    expect((await detectOcc(fakeEnv({ bins: ['nextcloud.occ'] })))[0]?.argv).toEqual(['nextcloud.occ']);
    expect((await detectOcc(fakeEnv({ bins: ['nextcloud-occ'] })))[0]?.argv).toEqual(['nextcloud-occ']);
  });

  it('bare metal: run as the owner of config/config.php (by name, else #uid)', async () => {
    const files = { '/var/www/nextcloud/occ': 33, '/var/www/nextcloud/config/config.php': 33 };
    expect((await detectOcc(fakeEnv({ files, passwd: { 33: 'www-data' } })))[0]?.argv).toEqual([
      'sudo',
      '-u',
      'www-data',
      'php',
      '/var/www/nextcloud/occ',
    ]);
    expect((await detectOcc(fakeEnv({ files })))[0]?.argv).toEqual([
      'sudo',
      '-u',
      '#33',
      'php',
      '/var/www/nextcloud/occ',
    ]);
    expect((await detectOcc(fakeEnv({ files, uid: 33 })))[0]?.argv).toEqual(['php', '/var/www/nextcloud/occ']);
    expect(await detectOcc(fakeEnv({ files: { '/var/www/nextcloud/occ': 33 } }))).toEqual([]);
    expect(userNameFromPasswd('root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n', 33)).toBe(
      'www-data',
    );
  });

  it('ssh: batch mode, no TTY, "--" before the host, every remote word quoted', () => {
    const occ = occOverSsh('admin@cloud.example.org', "sudo -u www-data php '/srv/my nextcloud/occ'");
    expect(occ.argv).toEqual([
      'ssh',
      '-T',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      '--',
      'admin@cloud.example.org',
      'sudo',
      '-u',
      'www-data',
      'php',
      `'/srv/my nextcloud/occ'`,
    ]);
    const argv = occArgv(
      occ,
      'talk:signaling:add',
      ['https://hpb.example.org/standalone-signaling', "se'cret x"],
      ['--verify'],
    );
    expect(argv.slice(-6)).toEqual([
      'talk:signaling:add',
      '--verify',
      '--no-warnings',
      '--',
      'https://hpb.example.org/standalone-signaling',
      `'se'\\''cret x'`,
    ]);
    expect(() => occOverSsh('-oProxyCommand=x')).toThrow();
  });

  it('--occ is split into argv without a shell', () => {
    expect(occFromString(`docker exec -u www-data "my nc" php occ`).argv).toEqual([
      'docker',
      'exec',
      '-u',
      'www-data',
      'my nc',
      'php',
      'occ',
    ]);
    expect(splitCommand(`a 'b c' "d \\" e" f\\ g $HOME`)).toEqual(['a', 'b c', 'd " e', 'f g', '$HOME']);
    expect(() => splitCommand(`a 'b`)).toThrow(/unbalanced/);
    expect(formatCommand(['sudo', '-u', '#33', 'php', '/x y/occ'])).toBe(`sudo -u '#33' php '/x y/occ'`);
    expect(shellQuote('')).toBe(`''`);
  });

  it('occ calls: options, --no-warnings, then -- and the positionals', () => {
    const occ = occFromString('nextcloud.occ');
    expect(occArgv(occ, 'talk:signaling:list', [], ['--output=json'])).toEqual([
      'nextcloud.occ',
      'talk:signaling:list',
      '--output=json',
      '--no-warnings',
    ]);
    expect(occArgv(occ, 'talk:signaling:add', ['u', '-starts-with-dash'])).toEqual([
      'nextcloud.occ',
      'talk:signaling:add',
      '--no-warnings',
      '--',
      'u',
      '-starts-with-dash',
    ]);
  });
});

describe('what occ says', () => {
  const wrongUser = [
    'Console has to be executed with the user that owns the file config/config.php',
    'Current user id: 0',
    'Owner id of config.php: 33',
    "Try adding 'sudo -u #33' to the beginning of the command (without the single quotes)",
  ].join('\n');
  const res = (o: Partial<ExecResult>): ExecResult => ({
    exitCode: 0,
    stdout: '',
    stderr: '',
    timedOut: false,
    notFound: false,
    ...o,
  });

  it('wrong user: the owner uid, and the command rewritten for that user', () => {
    expect(parseWrongUser(wrongUser)).toEqual({ ownerUid: 33, currentUid: 0 });
    expect(classifyFailure(res({ exitCode: 1, stdout: wrongUser }))).toEqual({
      kind: 'wrong-user',
      ownerUid: 33,
      currentUid: 0,
    });
    expect(asUser(['php', '/var/www/nextcloud/occ'], 'www-data')).toEqual([
      'sudo',
      '-u',
      'www-data',
      'php',
      '/var/www/nextcloud/occ',
    ]);
    expect(asUser(['sudo', '-u', 'apache', 'php', 'occ'], '#33')).toEqual(['sudo', '-u', '#33', 'php', 'occ']);
    expect(asUser(['docker', 'exec', '-u', 'www-data', 'nc', 'php', 'occ'], '33')).toEqual([
      'docker',
      'exec',
      '-u',
      '33',
      'nc',
      'php',
      'occ',
    ]);
    expect(asUser(['docker', 'exec', 'nc', 'php', 'occ'], '33')).toEqual([
      'docker',
      'exec',
      '-u',
      '33',
      'nc',
      'php',
      'occ',
    ]);
  });

  it('not found, timeout, and a Talk command that is not there', () => {
    expect(classifyFailure(res({ notFound: true, exitCode: undefined }))?.kind).toBe('not-found');
    expect(classifyFailure(res({ timedOut: true }))?.kind).toBe('timeout');
    expect(
      classifyFailure(res({ exitCode: 1, stderr: 'Error response from daemon: No such container: nc' }))?.kind,
    ).toBe('not-found');
    expect(classifyFailure(res({ exitCode: 1, stdout: 'Could not open input file: /var/www/occ' }))?.kind).toBe(
      'not-found',
    );
    const undef = '\n  There are no commands defined in the "talk:signaling" namespace.  \n';
    expect(classifyFailure(res({ exitCode: 1, stderr: undef }))).toBeUndefined();
    expect(isUndefinedCommand(undef)).toBe(true);
  });

  it("Talk's JSON: [] before first use, escaped slashes, the secret kept in memory", () => {
    expect(parseSignalingList('[]\n')).toEqual({ servers: [], secret: '' });
    const warning =
      'The process control (PCNTL) extensions are required in case you want to interrupt long running commands - see https://www.php.net/manual/en/book.pcntl.php\n';
    expect(
      parseSignalingList(
        warning +
          '{"servers":[{"server":"https:\\/\\/hpb.example.org\\/standalone-signaling","verify":true}],"secret":"s3"}\n',
      ),
    ).toEqual({
      servers: [{ server: 'https://hpb.example.org/standalone-signaling', verify: true }],
      secret: 's3',
    });
    expect(
      parseStatus(
        '{"installed":true,"version":"30.0.5.1","versionstring":"30.0.5","edition":"","maintenance":true,"needsDbUpgrade":false}',
      ),
    ).toMatchObject({ installed: true, maintenance: true, versionstring: '30.0.5' });
    expect(talkAppState('{"enabled":{"files":"2.2.0"},"disabled":{"spreed":null}}').state).toBe('disabled');
    expect(talkAppState('{"enabled":{"spreed":"20.1.3"},"disabled":[]}')).toEqual({
      state: 'enabled',
      version: '20.1.3',
    });
    expect(talkAppState('{"enabled":{"files":"2.2.0"},"disabled":[]}').state).toBe('missing');
  });
});

describe('the one-secret decision', () => {
  const url = 'https://hpb.example.org/standalone-signaling';
  const other = 'https://other.example.net/standalone-signaling';
  const S = 'ours';
  const T = 'theirs';

  it('empty Talk: add once with our secret', () => {
    expect(decideRegistration({ servers: [], secret: '' }, { url, secret: S, verify: true })).toMatchObject({
      kind: 'plan',
      plan: { add: 'ours', deletes: [], adoptTalkSecret: false },
    });
  });

  it('already there once with our secret: nothing', () => {
    const d = decideRegistration(
      { servers: [{ server: url, verify: true }], secret: S },
      { url, secret: S, verify: true },
    );
    expect(d).toMatchObject({ kind: 'plan', plan: { deletes: [], adoptTalkSecret: false } });
    expect(d.kind === 'plan' && d.plan.add).toBeUndefined();
  });

  it('duplicates, a trailing slash or another verify flag: delete every variant, add once', () => {
    const d = decideRegistration(
      {
        servers: [
          { server: url, verify: true },
          { server: url + '/', verify: true },
          { server: other, verify: true },
        ],
        secret: S,
      },
      { url, secret: S, verify: true },
    );
    expect(d).toMatchObject({ kind: 'plan', plan: { deletes: [url, url + '/'], add: 'ours' } });
    expect(
      decideRegistration({ servers: [{ server: url, verify: false }], secret: S }, { url, secret: S, verify: true }),
    ).toMatchObject({ kind: 'plan', plan: { deletes: [url], add: 'ours' } });
    expect(sameServer('wss://HPB.example.org/standalone-signaling/', url)).toBe(true);
  });

  it('our URL alone with a stale secret: replaced, nobody else affected', () => {
    expect(
      decideRegistration({ servers: [{ server: url, verify: true }], secret: T }, { url, secret: S, verify: true }),
    ).toMatchObject({ kind: 'plan', plan: { deletes: [url], add: 'ours', breaks: [] } });
  });

  it('another server with another secret: a choice, never silent', () => {
    const talk = { servers: [{ server: other, verify: true }], secret: T };
    expect(decideRegistration(talk, { url, secret: S, verify: true })).toEqual({
      kind: 'needs-choice',
      others: [other],
    });
    expect(decideRegistration(talk, { url, secret: S, verify: true, choice: 'stop' }).kind).toBe('needs-choice');
    expect(decideRegistration(talk, { url, secret: S, verify: true, choice: 'reuse-nextcloud' })).toMatchObject({
      kind: 'plan',
      plan: { adoptTalkSecret: true, add: 'talk', breaks: [] },
    });
    expect(decideRegistration(talk, { url, secret: S, verify: true, choice: 'replace-all' })).toMatchObject({
      kind: 'plan',
      plan: { add: 'ours', breaks: [other] },
    });
    // Already listed once with Talk's secret: reusing it needs no occ change at all.
    const listed = {
      servers: [
        { server: other, verify: true },
        { server: url, verify: true },
      ],
      secret: T,
    };
    const reuse = decideRegistration(listed, { url, secret: S, verify: true, choice: 'reuse-nextcloud' });
    expect(reuse).toMatchObject({ kind: 'plan', plan: { adoptTalkSecret: true, deletes: [] } });
    expect(reuse.kind === 'plan' && reuse.plan.add).toBeUndefined();
    expect(decideRegistration(listed, { url, secret: S, verify: true, choice: 'replace-all' })).toMatchObject({
      kind: 'plan',
      plan: { deletes: [url], add: 'ours' },
    });
  });

  it('TURN and STUN: only what is missing', () => {
    const t = { schemes: 'turn', server: 'turn.example.org:3478', protocols: 'udp,tcp', secret: 'x' };
    expect(decideTurn([], t)).toBe('add');
    expect(decideTurn([t], t)).toBe('present');
    expect(decideTurn([{ ...t, secret: 'y' }], t)).toBe('other-secret');
    expect(decideStun(['stun.nextcloud.com:443'], 'stun.nextcloud.com:443')).toBe('present');
  });

  it('manual values: the path of the secret file unless the secret was asked for', () => {
    const lines = manualInstructions({
      url,
      verify: true,
      secretFile: '/etc/nextcloud-spreed-signaling/secrets/backend-x',
    }).join('\n');
    expect(lines).toContain('the content of /etc/nextcloud-spreed-signaling/secrets/backend-x');
    expect(lines).toContain(
      `sudo -u www-data php /var/www/nextcloud/occ talk:signaling:add --verify --no-warnings -- ${url} "$SECRET"`,
    );
    expect(manualInstructions({ url, verify: false, secretFile: '/f', secret: 'abc123' }).join('\n')).toContain(
      `-- ${url} abc123`,
    );
  });
});

// The TURN group against fake STUN/TURN probes and a fake occ: what it asks where, and how each
// answer reads. The real coturn runs in test/turn/check.test.ts.
import { describe, expect, it } from 'vitest';
import { turnChecks } from '../../../src/check/groups/turn.js';
import type { AllocateResult, BindingResult } from '../../../src/probe/stun.js';
import { checkInputs, context, occRun, runOne, shown } from './fixture.js';

const SECRET = 'turn-secret-value';
const external = { mode: 'external' as const, servers: ['turn.example.net:443'], tls: false };
const OK_BINDING: BindingResult = { ok: true, mapped: { ip: '198.51.100.9', port: 1 } };

function group(opts: { allocate?: AllocateResult; binding?: BindingResult; occ?: string; turnServer?: unknown }) {
  const asked: string[] = [];
  const defs = turnChecks(
    context(
      checkInputs(opts.occ !== undefined ? { occ: ['occ'], occExec: async () => occRun(opts.occ!) } : {}, {
        hostname: 'hpb.example.org',
        turnServer: (opts.turnServer ?? external) as never,
        secrets: new Map([['turn-secret', SECRET]]),
      }),
      {
        stunBinding: async (o) => {
          asked.push(`${o.transport}:${o.host}:${o.port}`);
          return opts.binding ?? OK_BINDING;
        },
        turnAllocate: async (o) => {
          asked.push(
            `allocate:${o.host}:${o.port}:${o.secret === SECRET ? 'our secret' : 'other'}:${o.peers?.join(',')}`,
          );
          return opts.allocate ?? { ok: false, code: 'timeout', message: 'no answer' };
        },
      },
    ),
  );
  return { defs, asked };
}

describe('turn', () => {
  it('has no checks without a TURN server', () => {
    expect(group({ turnServer: { mode: 'none' } }).defs).toEqual([]);
  });

  it('asks an external server at its HOST:PORT, with our secret, for the private probe peers only', async () => {
    const g = group({
      allocate: {
        ok: true,
        challenge: { status: 401, realm: 'r', nonce: 'n' },
        allocate: { status: 'success', relayed: { ip: '198.51.100.9', port: 50000 } },
        permissions: [],
      },
    });
    expect(shown(await runOne(g.defs, 'turn.stun'))).toMatchObject({ status: 'pass' });
    expect(shown(await runOne(g.defs, 'turn.allocate'))).toMatchObject({ status: 'pass' });
    expect(g.asked).toEqual([
      'udp:turn.example.net:443',
      'tcp:turn.example.net:443',
      'allocate:turn.example.net:443:our secret:10.0.0.1,192.168.1.1',
    ]);
    expect(g.defs.map((d) => d.id)).not.toContain('turn.tls');
  });

  it('fails a server that grants an Allocate without credentials', async () => {
    const g = group({ allocate: { ok: true, challenge: { status: 'success' }, permissions: [] } });
    const o = await runOne(g.defs, 'turn.allocate');
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('without credentials: anyone can relay');
  });

  it('names UDP alone being closed', async () => {
    const g = group({ binding: { ok: false, code: 'timeout', message: 'no answer' } });
    const o = await runOne(g.defs, 'turn.stun');
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('coturn is not running or the port is closed');
  });

  it('fails when Talk holds another secret for our entry, and when it lacks it', async () => {
    const other = JSON.stringify([
      { schemes: 'turn', server: 'turn.example.net:443', secret: 'old', protocols: 'udp,tcp' },
    ]);
    const o = await runOne(group({ occ: other }).defs, 'turn.talk');
    expect(shown(o)).toEqual({
      status: 'fail',
      detail:
        'Talk holds another secret for turn:turn.example.net:443: browsers get credentials the TURN server refuses',
      fix: 'spreed-setup register (replaces the entry with the current secret)',
    });
    const none = await runOne(group({ occ: '[]' }).defs, 'turn.talk');
    expect(shown(none)).toMatchObject({ status: 'fail', fix: 'spreed-setup register' });
    const same = JSON.stringify([
      { schemes: 'turn', server: 'turn.example.net:443', secret: SECRET, protocols: 'udp,tcp' },
    ]);
    expect((await runOne(group({ occ: same }).defs, 'turn.talk')).status).toBe('pass');
  });

  it('reads a private relay address as a failure, a public one as a pass', async () => {
    const g = group({});
    const o = await runOne(g.defs, 'turn.relay', {
      'turn.allocate': { status: 'pass', detail: '', data: { relayed: '172.17.0.2' } },
    });
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('relay address private');
    const p = await runOne(g.defs, 'turn.relay', {
      'turn.allocate': { status: 'pass', detail: '', data: { relayed: '198.51.100.9' } },
    });
    expect(p.status).toBe('pass');
  });
});

// apply/validateNats.ts on the real nats-server: the config a cluster node gets passes
// `nats-server -t`, and a broken one is refused with nats-server's own reason.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateNats } from '../../src/apply/validateNats.js';
import { Target } from '../../src/io/target.js';
import { ClusterSchema } from '../../src/model/cluster.js';
import { NATS_SERVER } from '../../src/model/defaults.js';
import type { FileChange } from '../../src/plan/plan.js';
import { renderNatsServerConf } from '../../src/render/natsServer.js';
import { componentPath, skipUnless } from '../harness/components.js';
import { tempDir } from '../harness/tmp.js';

const cluster = () =>
  ClusterSchema.parse({
    name: 'hpb',
    nodes: [
      { name: 'sig1', address: '10.0.0.11' },
      { name: 'sig2', address: 'sig2.example.org' },
    ],
  });

const natsNeed = skipUnless({ components: ['nats-server'] });
describe.skipIf(natsNeed.skip)(`the rendered nats-server config, checked by nats-server -t${natsNeed.suffix}`, () => {
  const change = (content: string): FileChange => ({
    path: NATS_SERVER.configPath,
    role: 'nats',
    content,
    ownership: { mode: 0o644, label: 'public' },
    action: 'create',
    reasons: ['new'],
  });
  it('passes the rendered file and refuses a broken one with the reason', async () => {
    const root = tempDir('spreed-nats-t-');
    const target = new Target(root);
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    const c = cluster();
    const good = renderNatsServerConf(c, c.nodes[0]!, { toolVersion: '1.0.0' });
    writeFileSync(target.path(NATS_SERVER.configPath), good);
    expect(await validateNats(target, [change(good)], componentPath('nats-server'))).toEqual({ ok: true });
    const bad = `${good}\nbogus_key: 1\n`;
    writeFileSync(target.path(NATS_SERVER.configPath), bad);
    const r = await validateNats(target, [change(bad)], componentPath('nats-server'));
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.message).toContain('unknown field "bogus_key"');
  });
});

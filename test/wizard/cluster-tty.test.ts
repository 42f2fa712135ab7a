// The wizard's "several servers" path in a real terminal (tmux), typing into the built CLI: a bad
// address refused with the cluster schema's reason and typed again, the cluster file written under
// --root and nothing else, and the commands for each node on the screen.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadClusterFile } from '../../src/inputs/clusterFile.js';
import { scratch, treeState } from '../cli/run.js';
import { TmuxSession } from './tmux.js';

const sessions: TmuxSession[] = [];
afterEach(() => {
  while (sessions.length) sessions.pop()!.close();
});

describe('wizard in a terminal: several servers', () => {
  it('asks the machines, refuses a bad address, writes the cluster file and shows the commands', async () => {
    const root = scratch();
    const t = new TmuxSession(['setup', '--server-version', '2.0.2', '--root', root], { width: 100 });
    sessions.push(t);
    const answer = async (prompt: string | RegExp, ...keys: string[]) => {
      await t.waitFor(prompt);
      for (const k of keys) t.send(k);
    };
    const typed = async (prompt: string | RegExp, text: string) => {
      await t.waitFor(prompt);
      if (text) t.type(text);
      t.send('Enter');
    };
    await typed('Public hostname', 'hpb.example.org');
    await typed('Nextcloud URL(s)', 'https://cloud.example.org');
    await answer('The other settings', 'Down', 'Enter');
    await answer('One server, or several servers as one HPB (a cluster)?', 'Down', 'Enter');
    await typed('Signaling node 1: its name', '');
    await typed('reach sig1 at', '10.0.0.11:8080');
    await t.waitFor('"10.0.0.11:8080" must be an IP address or a host name (no port)');
    for (let i = 0; i < 5; i++) t.send('BSpace');
    t.send('Enter');
    await typed('Signaling node 2: its name', '');
    await typed('reach sig2 at', '10.0.0.12');
    await answer('Add another signaling node?', 'Enter');
    await answer('Media nodes too?', 'Left', 'Enter');
    await typed('Media node 1: its name', '');
    await typed('reach media1 at', '10.0.0.21');
    await typed('Country media1 stands in', 'DE');
    await answer('Add another media node?', 'Enter');
    await answer('NATS (the message bus joining', 'Enter');
    await answer('find each other (gRPC)', 'Enter');
    await answer('TURN on every signaling node?', 'Enter');
    await answer(/in front of the signaling server/, 'Enter');
    await typed('TLS certificate', '');
    await typed('TLS private key', '');
    await typed('Where to write the cluster file', '');
    expect(await t.exitCode()).toBe(0);

    const file = path.join(root, 'cluster.yaml');
    expect(existsSync(file)).toBe(true);
    expect(Object.keys(treeState(root))).toEqual(['cluster.yaml']);
    const c = loadClusterFile(file).cluster!;
    expect(c.cluster.nodes.map((n) => `${n.name} ${n.address}`)).toEqual(['sig1 10.0.0.11', 'sig2 10.0.0.12']);
    expect(c.cluster.media.map((m) => `${m.name} ${m.address} ${m.country}`)).toEqual(['media1 10.0.0.21 DE']);
    const screen = t.joinedScreen();
    for (const line of [
      'spreed-setup setup --cluster cluster.yaml --node sig1 --yes',
      'rsync -a /etc/spreed-setup/cluster-spreed/ root@10.0.0.12:/etc/spreed-setup/cluster-spreed/',
      'spreed-setup setup --cluster cluster.yaml --node sig2 --yes',
      'spreed-setup setup --cluster cluster.yaml --node media1 --yes',
      'spreed-setup register',
      'spreed-setup check --cluster cluster.yaml',
    ])
      expect(screen).toContain(line);
  });
});

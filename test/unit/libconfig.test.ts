// The libconfig subset Janus's .jcfg files use: read back, and edited in place without touching
// anything else.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LibconfigError, parseLibconfig, setSettings } from '../../src/render/libconfig.js';

const DEBIAN_LIKE = `# General configuration
general: {
\tconfigs_folder = "/etc/janus"\t\t\t# Configuration files folder
\tdebug_level = 4\t\t\t\t\t\t\t# Debug/logging level
\t//log_to_file = "/path/to/janus.log"
\tprotected_folders = [
\t\t"/bin",
\t\t"/usr"
\t]
}
/* a block
   comment */
media: {
\t#rtp_port_range = "20000-40000"
}
nat: {
\tnice_debug = false
\tice_ignore_list = "vmnet"
}
room-1234: {
\tdescription = "Demo \\"Room\\""; publishers = 0x10, bitrate = 128000L
\tlist = ( "a", 1, { x = true } )
}
`;

describe('libconfig', () => {
  it('reads groups, arrays, lists, strings with escapes, hex, L suffixes, booleans; skips # // /* */ comments', () => {
    const c = parseLibconfig(DEBIAN_LIKE);
    expect(c.general).toEqual({ configs_folder: '/etc/janus', debug_level: 4, protected_folders: ['/bin', '/usr'] });
    expect(c.media).toEqual({});
    expect(c.nat).toEqual({ nice_debug: false, ice_ignore_list: 'vmnet' });
    expect(c['room-1234']).toEqual({
      description: 'Demo "Room"',
      publishers: 16,
      bitrate: 128000,
      list: ['a', 1, { x: true }],
    });
    expect(parseLibconfig('a = "x" "y";\nB : TRUE')).toEqual({ a: 'xy', B: true });
  });

  it('names the line of a fault', () => {
    expect(() => parseLibconfig('general: {\n  ws = \n}\n')).toThrow(/line 3: expected a value/);
    expect(() => parseLibconfig('general: {\n  ws = "open\n}\n')).toThrow(LibconfigError);
    expect(() => parseLibconfig('nat: {\n a = 1\n a = 2\n}')).toThrow(/line 3: duplicate setting "a"/);
    expect(() => parseLibconfig('nat: {\n a = 1\n')).toThrow(/expected "}"|expected a setting name/);
  });

  it('sets values in place: a changed value, a new setting at the top of its group, a new group; the rest byte for byte', () => {
    const out = setSettings(DEBIAN_LIKE, [
      { group: 'nat', key: 'ice_ignore_list', value: 'vmnet,docker' },
      { group: 'nat', key: 'full_trickle', value: true },
      { group: 'media', key: 'rtp_port_range', value: '20000-40000' },
      { group: 'transports', key: 'disable', value: 'libjanus_http.so' },
    ]);
    const c = parseLibconfig(out);
    expect(c.nat).toEqual({ full_trickle: true, nice_debug: false, ice_ignore_list: 'vmnet,docker' });
    expect(c.media).toEqual({ rtp_port_range: '20000-40000' });
    expect(c.transports).toEqual({ disable: 'libjanus_http.so' });
    // Every original line is still there, except the one value changed.
    const kept = DEBIAN_LIKE.split('\n').filter((l) => !l.includes('ice_ignore_list'));
    for (const l of kept) expect(out.split('\n')).toContain(l);
    expect(out).toContain('\tice_ignore_list = "vmnet,docker"\n');
    // Setting what is already there changes nothing.
    expect(setSettings(out, [{ group: 'nat', key: 'full_trickle', value: true }])).toBe(out);
  });

  it('quotes strings so they read back as given', () => {
    const out = setSettings('', [{ group: 'g', key: 'k', value: 'a "b" \\ c' }]);
    expect(parseLibconfig(out)).toEqual({ g: { k: 'a "b" \\ c' } });
  });
});

describe("Debian's own Janus files", () => {
  const dir = '/etc/janus';
  it.skipIf(!existsSync(dir))('every shipped .jcfg parses', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.jcfg'));
    expect(files.length).toBeGreaterThan(10);
    // Debian's mqtt file has unquoted paths (certfile = /etc/ssl/...): not libconfig, refused with its line.
    for (const f of files.filter((f) => f !== 'janus.transport.mqtt.jcfg'))
      expect(() => parseLibconfig(readFileSync(`${dir}/${f}`, 'utf8')), f).not.toThrow();
    if (files.includes('janus.transport.mqtt.jcfg'))
      expect(() => parseLibconfig(readFileSync(`${dir}/janus.transport.mqtt.jcfg`, 'utf8'))).toThrow(/^line \d+: /);
    const ws = parseLibconfig(readFileSync(`${dir}/janus.transport.websockets.jcfg`, 'utf8'));
    expect((ws.general as Record<string, unknown>).ws_port).toBe(8188);
  });
});

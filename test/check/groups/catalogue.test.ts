// buildCatalogue: every group, in report order, on the IO it is given.
import { describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../../src/check/catalogue.js';
import { checkInputs, fakeIO, refused, runOne } from './fixture.js';

describe('buildCatalogue', () => {
  it('lists the checks in report order, per backend after the public URL', () => {
    const defs = buildCatalogue(
      checkInputs(
        {},
        {
          backends: [
            { id: 'a', urls: ['https://a.example.org'] },
            { id: 'b', urls: ['https://b.example.org'] },
          ],
        },
      ),
      fakeIO({}),
    );
    expect(defs.map((d) => d.id)).toEqual([
      'config',
      'server',
      'server.talk',
      'nats',
      'janus',
      'janus-talk',
      'janus-address',
      'mcu-live',
      'public.dns',
      'public.tls',
      'public.welcome',
      'public.route',
      'public.upgrade',
      'hello',
      'backend.a.nextcloud',
      'backend.a.secret',
      'backend.a.server',
      'backend.b.nextcloud',
      'backend.b.secret',
      'backend.b.server',
      'registration',
      'capacity',
    ]);
  });

  it('runs the checks on the IO it is given', async () => {
    const defs = buildCatalogue(checkInputs(), fakeIO({ welcome: async () => refused('127.0.0.1:8080') }));
    expect((await runOne(defs, 'server')).detail).toBe(
      'signaling server not running: nothing listening at http://127.0.0.1:8080 (connection refused)',
    );
  });
});

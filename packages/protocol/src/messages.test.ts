import { describe, expect, it } from 'vitest';
import { listenerClientMessage, voiceId } from './messages.ts';

describe('listener messages: the voice', () => {
  it.each(['pico:es-ES', 'rhvoice:Leticia-F123', 'espeak-ng', 'flite', 'polly:Lucia', 'x'])(
    'accepts %s',
    (v) => {
      expect(voiceId.safeParse(v).success).toBe(true);
    },
  );

  it.each([
    ['empty', ''],
    ['too long', 'v'.repeat(65)],
    ['a space', 'pico es'],
    ['a leading separator', ':pico'],
    ['a wildcard', 'pico.*'],
    ['non-ASCII', 'voz-española'],
  ])('refuses %s', (_what, v) => {
    expect(voiceId.safeParse(v).success).toBe(false);
  });

  it('is optional in hello and setLanguage: older clients send neither', () => {
    expect(listenerClientMessage.parse({ type: 'hello', protocol: 2 })).toEqual({
      type: 'hello',
      protocol: 2,
    });
    expect(listenerClientMessage.parse({ type: 'setLanguage', targetLanguage: 'es' })).toEqual({
      type: 'setLanguage',
      targetLanguage: 'es',
    });
    expect(
      listenerClientMessage.parse({ type: 'setLanguage', targetLanguage: 'es', voice: 'pico:es-ES' }),
    ).toMatchObject({ voice: 'pico:es-ES' });
    expect(listenerClientMessage.safeParse({ type: 'hello', protocol: 2, voice: 'a b' }).success).toBe(false);
  });
});

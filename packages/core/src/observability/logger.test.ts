import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ destination }) };
}

describe('createLogger', () => {
  it('redacts transcript text and credentials wherever they appear', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        text: 'the secret sermon',
        event: { text: 'more secret' },
        token: 'bc_abc',
        req: { headers: { authorization: 'Bearer x' } },
      },
      'hello',
    );
    const out = lines.join('');
    expect(out).not.toMatch(/secret|bc_abc|Bearer x/);
    expect(out).toMatch(/\[redacted\]/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'hello', service: 'babelcast' });
  });
});

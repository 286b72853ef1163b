import assert from 'node:assert/strict';
import { InternPool, ownString } from '../../core/own-string.js';

describe('core: own strings and the intern pool', () => {
  it('ownString gives an equal string for short, long, sliced, concatenated and UTF-8 input', () => {
    const text = 'SUBSCRIBE sip:1000@127.0.0.1 SIP/2.0\r\nFrom: "Zoë Ärger" <sip:zoe@example.com>;tag=abc\r\n';
    for (const s of ['', 'short', text.slice(10, 40), text.slice(39), `${text.slice(0, 20)}${text.slice(50)}`, 'Zoë Ärger 🎧 — über lange Zeichenketten']) {
      assert.equal(ownString(s), s);
    }
  });

  it('shares equal values, and never holds more than two generations of max entries', () => {
    const pool = new InternPool(100);
    const a = pool.intern(['application', 'pidf+xml'].join('/'));
    const b = pool.intern(['application', 'pidf+xml'].join('/'));
    assert.equal(a, b);
    for (let i = 0; i < 10_000; i++) pool.intern(`User-Agent flood ${i}`);
    assert.ok(pool.size <= 200, `bounded: ${pool.size}`);
    // A value in use keeps being served from the pool while it keeps coming back.
    const ua = 'Yealink SIP-T46S 66.86.0.15';
    pool.intern(ua);
    for (let i = 0; i < 1000; i++) {
      pool.intern(`other ${i}`);
      if (i % 50 === 0) pool.intern(ua);
    }
    assert.equal(pool.intern(ua), ua);
    assert.ok(pool.size <= 200);
  });
});

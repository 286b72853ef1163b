import assert from 'node:assert/strict';
import { extenStateToStrings, stripAngleBrackets, uriHost } from '../../core/pubsub/bodies/presence-xml.js';

describe('extension state -> body strings (presence_xml.c, reference §3.4)', () => {
  const table: Array<[number, string, string, string, string | undefined, string, string]> = [
    [0, 'terminated', 'open', 'Ready', undefined, 'open', 'online'],
    [1, 'confirmed', 'open', 'On the phone', 'on-the-phone', 'inuse', 'onthephone'],
    [2, 'confirmed', 'open', 'On the phone', 'on-the-phone', 'inuse', 'onthephone'],
    [4, 'terminated', 'closed', 'Unavailable', undefined, 'closed', 'offline'],
    [8, 'early', 'open', 'Ringing', 'on-the-phone', 'inuse', 'onthephone'],
    [9, 'confirmed', 'open', 'Ringing', 'on-the-phone', 'inuse', 'onthephone'],
    [16, 'confirmed', 'open', 'On hold', 'on-the-phone', 'inuse', 'onthephone'],
    [17, 'terminated', 'open', 'Ready', undefined, 'open', 'online'],
    [-1, 'terminated', 'open', 'Ready', undefined, 'open', 'online'],
    [-2, 'terminated', 'open', 'Ready', undefined, 'open', 'online'],
    [3, 'terminated', 'open', 'Ready', undefined, 'open', 'online'],
  ];
  for (const [st, dialog, basic, note, activity, status, substatus] of table) {
    it(`state ${st}`, () => {
      assert.deepEqual({ ...extenStateToStrings(st) }, {
        dialogState: dialog,
        pidfBasic: basic,
        pidfNote: note,
        rpidActivity: activity,
        xpidfStatus: status,
        xpidfSubstatus: substatus,
      });
    });
  }

  it('notify_early_inuse_ringing turns only INUSE|RINGING into early', () => {
    for (const [st] of table) {
      const a = extenStateToStrings(st, false);
      const b = extenStateToStrings(st, true);
      if (st === 9) {
        assert.equal(b.dialogState, 'early');
        assert.equal(a.dialogState, 'confirmed');
        assert.deepEqual({ ...b, dialogState: 'confirmed' }, { ...a });
      } else {
        assert.equal(b, a);
      }
    }
  });

  it('returns frozen shared rows', () => {
    assert.ok(Object.isFrozen(extenStateToStrings(1)));
    assert.equal(extenStateToStrings(1), extenStateToStrings(2));
  });

  it('strips <> like ast_strip_quoted', () => {
    assert.equal(stripAngleBrackets('<sip:a@b>'), 'sip:a@b');
    assert.equal(stripAngleBrackets('  <sip:a@b>  '), 'sip:a@b');
    assert.equal(stripAngleBrackets('sip:a@b'), 'sip:a@b');
    assert.equal(stripAngleBrackets('<sip:a@b'), '<sip:a@b');
  });

  it('finds the host of a URI without port', () => {
    assert.equal(uriHost('sip:1000@127.0.0.1:5160'), '127.0.0.1');
    assert.equal(uriHost('<sips:1000@pbx.example;transport=tls>'), 'pbx.example');
    assert.equal(uriHost('sip:[2001:db8::1]:5060'), '[2001:db8::1]');
    assert.equal(uriHost('sip:a@[::1]'), '[::1]');
    assert.equal(uriHost('sip:pbx?x=y'), 'pbx');
    assert.equal(uriHost('pbx:5060'), 'pbx');
  });
});

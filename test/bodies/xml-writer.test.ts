import assert from 'node:assert/strict';
import { escapeXml, printXml, XmlElement } from '../../core/pubsub/bodies/xml-writer.js';
import { readXml } from '../support/xml-reader.js';

describe('XML writer (pj_xml_print bytes)', () => {
  it('prints the prolog, one-space indents, " />" for empty elements and a final LF', () => {
    const root = new XmlElement('a').addAttr('x', '1').addAttr('y', '2');
    root.addChild('b').addChild('c').content = 'text';
    root.addChild('d');
    assert.equal(printXml(root), '<?xml version="1.0" encoding="UTF-8"?>\n<a x="1" y="2">\n <b>\n  <c>text</c>\n </b>\n <d />\n</a>\n');
  });

  it('prints content after the children, then the end tag on its own line', () => {
    const root = new XmlElement('a');
    root.content = 'tail';
    root.addChild('b');
    assert.equal(printXml(root), '<?xml version="1.0" encoding="UTF-8"?>\n<a>\n <b />tail\n</a>\n');
  });

  it('escapes as ast_sip_sanitize_xml in content and attributes, drops forbidden controls', () => {
    assert.equal(escapeXml(`<a href="x">'&'\r\n</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&#13;&#10;&lt;/a&gt;');
    assert.equal(escapeXml('a\u0000b\u0007c\td\u001fe'), 'abc\tde');
    assert.equal(escapeXml('plain'), 'plain');
    const root = new XmlElement('a').addAttr('v', '"&<>\'');
    root.content = '<&>';
    const out = printXml(root);
    assert.equal(out, '<?xml version="1.0" encoding="UTF-8"?>\n<a v="&quot;&amp;&lt;&gt;&apos;">&lt;&amp;&gt;</a>\n');
    assert.equal(readXml(out).root.text, '<&>');
  });

  it('prints an empty attribute value as name="" (pj prints a bare name, which is not XML)', () => {
    assert.equal(printXml(new XmlElement('a').addAttr('v', '')), '<?xml version="1.0" encoding="UTF-8"?>\n<a v="" />\n');
  });

  it('setAttr replaces in place, keeping the order; find-or-add children', () => {
    const e = new XmlElement('a').addAttr('x', '1').addAttr('y', '2').setAttr('x', '3').setAttr('z', '4');
    assert.deepEqual(e.attrs, ['x', '3', 'y', '2', 'z', '4']);
    assert.equal(e.getAttr('y'), '2');
    assert.equal(e.getAttr('nope'), undefined);
    const c = e.findOrAddChild('c');
    assert.equal(e.findOrAddChild('c'), c);
    assert.equal(e.children.length, 1);
  });

  it('indents deep trees', () => {
    let root = new XmlElement('n0');
    const top = root;
    for (let i = 1; i < 40; i++) root = root.addChild(`n${i}`);
    const lines = printXml(top).split('\n');
    assert.equal(lines[40], `${' '.repeat(39)}<n39 />`);
  });
});

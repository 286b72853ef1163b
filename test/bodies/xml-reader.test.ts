import assert from 'node:assert/strict';
import { readXml, XmlReadError } from '../support/xml-reader.js';

describe('test XML reader (safety and strictness)', () => {
  it('reads names, namespaces, attribute order and decoded text', () => {
    const doc = readXml('<?xml version="1.0"?>\n<p xmlns="urn:a" xmlns:d="urn:b" z="1" a="&lt;&#65;&#x42;&apos;"><d:q>x &amp; y</d:q><r/></p>\n');
    assert.equal(doc.declaration, '<?xml version="1.0"?>');
    assert.deepEqual(doc.root.attributes.map((a) => a.name), ['xmlns', 'xmlns:d', 'z', 'a']);
    assert.equal(doc.root.attributes[3].value, "<AB'");
    assert.equal(doc.root.namespace, 'urn:a');
    assert.equal(doc.root.children[0].namespace, 'urn:b');
    assert.equal(doc.root.children[0].localName, 'q');
    assert.equal(doc.root.children[0].text, 'x & y');
    assert.equal(doc.root.children[1].namespace, 'urn:a');
  });

  const bad: Array<[string, string]> = [
    ['DOCTYPE', '<!DOCTYPE p [<!ENTITY e SYSTEM "file:///etc/passwd">]><p>&e;</p>'],
    ['unknown entity', '<p>&e;</p>'],
    ['bare ampersand', '<p>a & b</p>'],
    ['processing instruction', '<p><?pi x?></p>'],
    ['CDATA', '<p><![CDATA[x]]></p>'],
    ['mismatched tags', '<p><q></p></q>'],
    ['unclosed', '<p><q/>'],
    ['unquoted attribute', '<p a=1/>'],
    ['duplicate attribute', '<p a="1" a="2"/>'],
    ['< in attribute', '<p a="<"/>'],
    ['undeclared prefix', '<x:p/>'],
    ['trailing content', '<p/><q/>'],
    ['empty', ''],
  ];
  for (const [what, text] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(() => readXml(text), XmlReadError);
    });
  }

  it('refuses input over the size limit and nesting over the depth limit', () => {
    assert.throws(() => readXml(`<p>${'x'.repeat(100)}</p>`, { maxLength: 50 }), /longer than 50/);
    assert.throws(() => readXml('<a>'.repeat(10) + '</a>'.repeat(10), { maxDepth: 5 }), /deeper than 5/);
    assert.doesNotThrow(() => readXml('<a>'.repeat(5) + '</a>'.repeat(5), { maxDepth: 5 }));
  });
});

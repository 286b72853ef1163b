/**
 * The Asterisk config dialect, case by case. Each row writes real files into a temp config folder,
 * reads them with readConfig, and checks sections, variables and issues field by field. The
 * comment on each row names the Asterisk behaviour it follows (main/config.c unless said
 * otherwise) or the documented place where tsterisk deliberately differs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig, type ReadConfigOptions } from '../../conf/read-config.js';
import type { ParsedConfig } from '../../conf/types.js';
import { cleanupTrees, fullVars, heads, issueKeys, pairs, writeTree } from './conf-fixtures.js';

interface Case {
  name: string;
  files: Record<string, string>;
  fileName?: string;
  options?: ReadConfigOptions;
  check: (r: ParsedConfig, dir: string) => void;
}

const cases: Case[] = [
  {
    // process_text_line: `[name]` opens a category; `name = value` lines go to the current one.
    name: 'sections and variables with file, line and flags',
    files: { 'x.conf': '[general]\na = 1\nb=2\n\n[other]\nc = 3\n' },
    check: (r) => {
      assert.equal(r.found, true);
      assert.deepEqual(heads(r), ['[general] x.conf:1', '[other] x.conf:5']);
      assert.deepEqual(fullVars(r.sections[0]), ['a|1|x.conf:2|plain|own', 'b|2|x.conf:3|plain|own']);
      assert.deepEqual(fullVars(r.sections[1]), ['c|3|x.conf:6|plain|own']);
      assert.deepEqual(r.issues, []);
    },
  },
  {
    // process_text_line: name and value pass through ast_strip() (blanks = bytes < 33 at both
    // ends); quotes are NOT removed, ast_variable_new() gets the stripped text as is.
    name: 'whitespace trimmed, quotes kept',
    files: { 'x.conf': '[s]\n  name \t=\t  "quoted value"  \r\nsingle = \'a b\'\ninner = a  b\nempty =\n' },
    check: (r) => {
      assert.deepEqual(pairs(r.sections[0]), ['name="quoted value"', "single='a b'", 'inner=a  b', 'empty=']);
    },
  },
  {
    // process_text_line: a `>` right after `=` makes it an object assignment (`=>`), else plain.
    name: '=> sets object, = does not',
    files: { 'x.conf': '[s]\nexten => 100,1,NoOp()\nexten=>101,1,NoOp()\nplain = >not-object\n' },
    check: (r) => {
      assert.deepEqual(fullVars(r.sections[0]), [
        'exten|100,1,NoOp()|x.conf:2|object|own',
        'exten|101,1,NoOp()|x.conf:3|object|own',
        'plain|>not-object|x.conf:4|plain|own',
      ]);
    },
  },
  {
    // ast_variable_append(): repeated names are all kept, in file order.
    name: 'repeated keys kept in order',
    files: { 'x.conf': '[s]\nallow = ulaw\nallow = alaw\ndisallow = all\nallow = g722\n' },
    check: (r) => {
      assert.deepEqual(pairs(r.sections[0]), ['allow=ulaw', 'allow=alaw', 'disallow=all', 'allow=g722']);
    },
  },
  {
    // ast_category_append(): a second [alice] is a new category; pjsip.conf relies on it.
    name: 'same-name sections stay separate, in file order',
    files: { 'pjsip.conf': '[alice]\ntype = endpoint\n[bob]\ntype = aor\n[alice]\ntype = aor\n' },
    fileName: 'pjsip.conf',
    check: (r) => {
      assert.deepEqual(heads(r), ['[alice] pjsip.conf:1', '[bob] pjsip.conf:3', '[alice] pjsip.conf:5']);
      assert.deepEqual(pairs(r.sections[0]), ['type=endpoint']);
      assert.deepEqual(pairs(r.sections[2]), ['type=aor']);
    },
  },
  {
    // process_text_line `(!)` sets ->ignored: templates are not browsed (next_available_category)
    // but ast_category_inherit() copies their variables, flagged inherited, ahead of the section's own.
    name: 'template not emitted, inherited variables first and flagged',
    files: { 'x.conf': '[phone](!)\ncontext = default\nallow = ulaw\n\n[100](phone)\nsecret = s\nallow = alaw\n' },
    check: (r) => {
      assert.deepEqual(heads(r), ['[100] x.conf:5 (phone)']);
      assert.deepEqual(fullVars(r.sections[0]), [
        'context|default|x.conf:2|plain|inherited',
        'allow|ulaw|x.conf:3|plain|inherited',
        'secret|s|x.conf:6|plain|own',
        'allow|alaw|x.conf:7|plain|own',
      ]);
    },
  },
  {
    // process_text_line: inheritance tokens are applied left to right; a template may itself
    // inherit (`(!,base)`); a plain section may be inherited from too (docs: "This works even when
    // the section name referenced in parentheses is not defined as a template"); names match
    // case-insensitively (ast_category_get -> strcasecmp).
    name: 'multiple inheritance order, template chains, non-template bases',
    files: {
      'x.conf': [
        '[basic](!)',
        'a = 1',
        '[natted](!,basic)',
        'nat = yes',
        '[codecs](!)',
        'allow = ulaw',
        '[plain]',
        'p = 1',
        '[2133](natted,CODECS,plain)',
        'secret = x',
      ].join('\n'),
    },
    check: (r) => {
      assert.deepEqual(heads(r), ['[plain] x.conf:7', '[2133] x.conf:9 (natted,codecs,plain)']);
      assert.deepEqual(pairs(r.sections[1]), ['a=1', 'nat=yes', 'allow=ulaw', 'p=1', 'secret=x']);
      assert.deepEqual(
        r.sections[1].variables.map((v) => v.inherited),
        [true, true, true, true, false],
      );
    },
  },
  {
    // process_text_line: "Inheritance requested, but category does not exist" (Asterisk then
    // rejects the file); here one TST_ERR_CONFIG_TEMPLATE issue at the header and the section kept.
    name: 'unknown template: error at the header, section kept',
    files: { 'x.conf': '[a](nosuch,tpl)\nx = 1\n[tpl](!)\ny = 2\n[b]\nz = 3\n' },
    check: (r) => {
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_TEMPLATE x.conf:1', 'error TST_ERR_CONFIG_TEMPLATE x.conf:1']);
      assert.equal(r.issues[0].section, 'a');
      assert.match(r.issues[0].message, /nosuch/);
      // `tpl` is defined after [a], so it is unknown at that point too.
      assert.match(r.issues[1].message, /tpl/);
      assert.deepEqual(heads(r), ['[a] x.conf:1', '[b] x.conf:5']);
      assert.deepEqual(pairs(r.sections[0]), ['x=1']);
    },
  },
  {
    // process_text_line `(+)`: ast_category_get(cfg, name, "") returns the FIRST non-template
    // category of that name; the docs ("Adding to an existing section") say the same.
    name: '(+) appends to the first section of that name',
    files: { 'pjsip.conf': '[101]\ntype = endpoint\n[101]\ntype = aor\n[101](+)\nallow = g722\n' },
    fileName: 'pjsip.conf',
    check: (r) => {
      assert.deepEqual(heads(r), ['[101] pjsip.conf:1', '[101] pjsip.conf:3']);
      assert.deepEqual(fullVars(r.sections[0]), ['type|endpoint|pjsip.conf:2|plain|own', 'allow|g722|pjsip.conf:6|plain|own']);
      assert.deepEqual(pairs(r.sections[1]), ['type=aor']);
      assert.deepEqual(r.issues, []);
    },
  },
  {
    // process_text_line `(+filter)` + does_category_match(): `name=value` regexes, `&`-joined,
    // pick the first category whose variables match (docs: "[101](+type=aor)").
    name: '(+type=aor) appends to the matching section',
    files: { 'pjsip.conf': '[101]\ntype = endpoint\n[101]\ntype = aor\n[101](+type=aor)\nmax_contacts = 2\n[101](+type=endpoint&allow=.*)\nx = 1\n[101](+type=end)\ny = 1\n' },
    fileName: 'pjsip.conf',
    check: (r) => {
      assert.deepEqual(pairs(r.sections[1]), ['type=aor', 'max_contacts=2']);
      // `allow=.*` does not match: the endpoint has no `allow`, so nothing takes x = 1.
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_TEMPLATE pjsip.conf:7']);
      // Regexes match anywhere in the value, as regexec() does.
      assert.deepEqual(pairs(r.sections[0]), ['type=endpoint', 'y=1']);
    },
  },
  {
    // process_text_line: "Category addition requested, but category does not exist"; Asterisk
    // drops the file, here the lines up to the next header are dropped with one issue.
    name: '(+) without a target: one error, its lines skipped, next header fine',
    files: { 'x.conf': '[a](+)\nx = 1\ny = 2\n[b]\nz = 3\n' },
    check: (r) => {
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_TEMPLATE x.conf:1']);
      assert.deepEqual(heads(r), ['[b] x.conf:4']);
      assert.deepEqual(pairs(r.sections[0]), ['z=3']);
    },
  },
  {
    // does_category_match(): an empty filter never matches a template; TEMPLATES=include lets it.
    name: '(+) skips templates unless TEMPLATES=include',
    files: { 'x.conf': '[t](!)\na = 1\n[t](+)\nb = 2\n[t](+TEMPLATES=include)\nc = 3\n[s](t)\n' },
    check: (r) => {
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_TEMPLATE x.conf:3']);
      assert.match(r.issues[0].message, /TEMPLATES=include/);
      assert.deepEqual(pairs(r.sections[0]), ['a=1', 'c=3']);
    },
  },
  {
    // process_text_line: the category looked up by (+) can come from an #include'd file.
    name: '(+) adds to a section defined in an included file',
    files: { 'x.conf': '#include "base.conf"\n[a](+)\nadded = 1\n', 'base.conf': '[a]\norig = 1\n' },
    check: (r) => {
      assert.deepEqual(heads(r), ['[a] base.conf:1']);
      assert.deepEqual(fullVars(r.sections[0]), ['orig|1|base.conf:2|plain|own', 'added|1|x.conf:3|plain|own']);
    },
  },
  {
    // process_text_line `+=`: the text after `+=` is appended to the last variable of that exact
    // name, then trimmed; with no such variable it is an ordinary assignment.
    name: '+= appends to the previous value',
    files: { 'x.conf': '[s]\nlist = a\nlist += ,b\nother += c\nother += d\n' },
    check: (r) => {
      assert.deepEqual(fullVars(r.sections[0]), ['list|a ,b|x.conf:2|plain|own', 'other|c d|x.conf:4|plain|own']);
    },
  },
  {
    // config_text_file_load: `;` comments to end of line; `\;` is a literal `;` (backslash dropped).
    name: 'line comments and escaped semicolons',
    files: { 'x.conf': '; header comment\n[s] ; trailing\na = 1 ; note\nb = x\\;y ; real comment\nc = \\;\n' },
    check: (r) => {
      assert.deepEqual(pairs(r.sections[0]), ['a=1', 'b=x;y', 'c=;']);
      assert.deepEqual(r.issues, []);
    },
  },
  {
    // config_text_file_load: `;--` … `--;` block comments span lines and nest; text before the
    // opener and after the closer on one line is joined; `;---` is not an opener.
    name: 'block comments: multi-line, nested, joined text, ;--- separators',
    files: {
      'x.conf': [
        '[s]',
        ';-----------------------',
        'a = 1',
        ';-- start',
        'hidden = 1',
        '  ;-- nested',
        '  hidden2 = 1',
        '  --;',
        'hidden3 = 1',
        'end --; b = 2',
        'c ;-- inline --;= 3',
      ].join('\n'),
    },
    check: (r) => {
      assert.deepEqual(fullVars(r.sections[0]), ['a|1|x.conf:3|plain|own', 'b|2|x.conf:10|plain|own', 'c|3|x.conf:11|plain|own']);
      assert.deepEqual(r.issues, []);
    },
  },
  {
    // config_text_file_load: "Unterminated comment detected beginning on line N" (a warning).
    name: 'unterminated block comment: warning at its start line',
    files: { 'x.conf': '[s]\na = 1\n;-- never closed\nb = 2\n' },
    check: (r) => {
      assert.deepEqual(pairs(r.sections[0]), ['a=1']);
      assert.deepEqual(issueKeys(r.issues), ['warning TST_ERR_CONFIG_SYNTAX x.conf:3']);
    },
  },
  {
    // Deliberate difference: Asterisk reads a `--;` outside a block comment as a closer and then
    // ignores the rest of the file; here it is a plain `;` comment with a warning.
    name: 'stray --; is a plain comment with a warning',
    files: { 'x.conf': '[s]\na = 1 --; oops\nb = 2\n' },
    check: (r) => {
      // The text before the `;` is kept as it is, dashes included.
      assert.deepEqual(pairs(r.sections[0]), ['a=1 --', 'b=2']);
      assert.deepEqual(issueKeys(r.issues), ['warning TST_ERR_CONFIG_SYNTAX x.conf:2']);
    },
  },
  {
    // process_text_line: "No category context for line N" (Asterisk drops the file); here the
    // line is skipped with one error and the rest loads.
    name: 'variable before any section: error, rest loads',
    files: { 'x.conf': 'early = 1\n[s]\na = 1\n' },
    check: (r) => {
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_SYNTAX x.conf:1']);
      assert.deepEqual(heads(r), ['[s] x.conf:2']);
      assert.deepEqual(pairs(r.sections[0]), ['a=1']);
    },
  },
  {
    // process_text_line: "No '=' (equal sign) in line N" (a warning there, an error here), and
    // "No variable name in line N"; both lines are skipped, the rest loads.
    name: 'bad lines: error with file:line and section, rest loads',
    files: { 'x.conf': '[s]\na = 1\njunk line\n= novalue\nb = 2\n' },
    check: (r) => {
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_SYNTAX x.conf:3', 'error TST_ERR_CONFIG_SYNTAX x.conf:4']);
      assert.equal(r.issues[0].section, 's');
      assert.deepEqual(pairs(r.sections[0]), ['a=1', 'b=2']);
    },
  },
  {
    // process_text_line: "no closing ']'" / "no closing ')'" make Asterisk drop the file; here one
    // error, and lines up to the next good header are skipped silently.
    name: 'malformed headers: one error each, following lines skipped',
    files: { 'x.conf': '[ok]\na = 1\n[broken\nx = 1\njunk\n[ok2](tpl\ny = 1\n[ok3]\nz = 1\n' },
    check: (r) => {
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_SYNTAX x.conf:3', 'error TST_ERR_CONFIG_SYNTAX x.conf:6']);
      assert.deepEqual(heads(r), ['[ok] x.conf:1', '[ok3] x.conf:8']);
      assert.deepEqual(pairs(r.sections[0]), ['a=1']);
      assert.deepEqual(pairs(r.sections[1]), ['z=1']);
    },
  },
  {
    // process_text_line: the section name is everything between `[` and the first `]`, not
    // trimmed; anything after `]` that is not `(` is ignored.
    name: 'section name taken verbatim, trailing text ignored',
    files: { 'x.conf': '[my name] junk\na = 1\n' },
    check: (r) => {
      assert.deepEqual(heads(r), ['[my name] x.conf:1']);
    },
  },
  {
    // process_text_line: a leading backslash escapes the name's first character, so a name can
    // begin with `[` (otherwise a header); an escaped blank is "Invalid escape".
    name: 'escaped first character of a name',
    files: { 'x.conf': '[s]\n\\[notheader] = x\n\\ = y\n' },
    check: (r) => {
      assert.deepEqual(pairs(r.sections[0]), ['[notheader]=x']);
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_SYNTAX x.conf:3']);
    },
  },
  {
    // process_text_line `#include`: `"file"`, `<file>` and bare names; relative to the config
    // folder (ast_config_AST_CONFIG_DIR), not to the including file.
    name: 'includes: quoted, angle, bare; relative to the config folder',
    files: {
      'x.conf': '[s]\n#include "sub/one.conf"\n#include <sub/two.conf>\n#include sub/three.conf ; comment\n',
      'sub/one.conf': 'one = 1\n#include "top-level.conf"\n',
      'sub/two.conf': 'two = 2\n',
      'sub/three.conf': 'three = 3\n',
      'top-level.conf': 'nested = 1\n',
    },
    check: (r, dir) => {
      assert.deepEqual(fullVars(r.sections[0]), [
        'one|1|sub/one.conf:1|plain|own',
        'nested|1|top-level.conf:1|plain|own',
        'two|2|sub/two.conf:1|plain|own',
        'three|3|sub/three.conf:1|plain|own',
      ]);
      assert.deepEqual(
        r.filesRead,
        ['x.conf', 'sub/one.conf', 'top-level.conf', 'sub/two.conf', 'sub/three.conf'].map((f) => path.join(dir, f)),
      );
      assert.deepEqual(r.issues, []);
    },
  },
  {
    // config_text_file_load: an included file starts in cfg->current (the last category made),
    // while the including file keeps ITS current category after the #include line.
    name: 'include continues the current section; includer keeps its own afterwards',
    files: {
      'x.conf': '[a]\nbefore = 1\n#include "inc.conf"\nafter = 1\n',
      'inc.conf': 'lead = 1\n[b]\ninner = 1\n',
    },
    check: (r) => {
      assert.deepEqual(heads(r), ['[a] x.conf:1', '[b] inc.conf:2']);
      assert.deepEqual(pairs(r.sections[0]), ['before=1', 'lead=1', 'after=1']);
      assert.deepEqual(pairs(r.sections[1]), ['inner=1']);
    },
  },
  {
    // config_text_file_load: names are glob()bed (GLOB_NOMAGIC|GLOB_BRACE), matches read in sorted
    // order; a pattern matching nothing is a missing include.
    name: 'glob include: sorted matches, braces, no match is an error',
    files: {
      'x.conf': '[s]\n#include "conf.d/*.conf"\n#include "extra/{z,y}.conf"\n#include "none/*.conf"\n#tryinclude "none/*.conf"\n',
      'conf.d/b.conf': 'b = 1\n',
      'conf.d/a.conf': 'a = 1\n',
      'conf.d/c.txt': 'c = 1\n',
      'conf.d/.hidden.conf': 'hidden = 1\n',
      'extra/y.conf': 'y = 1\n',
      'extra/z.conf': 'z = 1\n',
    },
    check: (r, dir) => {
      assert.deepEqual(pairs(r.sections[0]), ['a=1', 'b=1', 'z=1', 'y=1']);
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_INCLUDE x.conf:4']);
      assert.ok(r.watchPaths?.includes(path.join(dir, 'conf.d/*.conf')));
    },
  },
  {
    // process_text_line: an absolute #include path is used as is.
    name: 'absolute include path, shown absolute when outside the config folder',
    files: { 'x.conf': '[s]\n' },
    check: (_r, dir) => {
      const outside = writeTree({ 'shared.conf': 'shared = 1\n' });
      const abs = path.join(outside, 'shared.conf');
      fs.appendFileSync(path.join(dir, 'x.conf'), `#include "${abs}"\n#include "${path.join(dir, 'inside.conf')}"\n`);
      fs.writeFileSync(path.join(dir, 'inside.conf'), 'inside = 1\n');
      const r = readConfig(dir, 'x.conf');
      assert.deepEqual(fullVars(r.sections[0]), [`shared|1|${abs}:1|plain|own`, 'inside|1|inside.conf:1|plain|own']);
    },
  },
  {
    // process_text_line: "The file '%s' was listed as a #include but it does not exist" unless
    // #tryinclude; here an error at the #include line, and the rest still loads.
    name: 'missing include is an error, missing tryinclude is silent',
    files: { 'x.conf': '[s]\na = 1\n#tryinclude "optional.conf"\n#include "required.conf"\nb = 2\n' },
    check: (r, dir) => {
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_INCLUDE x.conf:4']);
      assert.match(r.issues[0].message, /required\.conf/);
      assert.deepEqual(pairs(r.sections[0]), ['a=1', 'b=2']);
      assert.ok(r.watchPaths?.includes(path.join(dir, 'optional.conf')));
    },
  },
  {
    // Added on top of Asterisk (which only stops at MAX_INCLUDE_LEVEL): a file including itself,
    // directly or through others, is reported at the #include line and not read again.
    name: 'include loops reported at the include line',
    files: {
      'x.conf': '[s]\n#include "a.conf"\n',
      'a.conf': 'a = 1\n#include "b.conf"\n',
      'b.conf': 'b = 1\n#include "a.conf"\n#include "x.conf"\n',
    },
    check: (r) => {
      assert.deepEqual(pairs(r.sections[0]), ['a=1', 'b=1']);
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_INCLUDE b.conf:2', 'error TST_ERR_CONFIG_INCLUDE b.conf:3']);
      assert.match(r.issues[0].message, /a\.conf -> b\.conf -> a\.conf/);
    },
  },
  {
    // ast_config_internal_load: include_level may not pass max_include_level (10, the top file
    // being level 1); the file past the limit is not read and the #include line gets an error.
    name: 'include depth limit (default 10 and an explicit one)',
    files: Object.fromEntries([
      ['x.conf', '[s]\nlevel = 1\n#include "f2.conf"\n'],
      ...Array.from({ length: 11 }, (_, k) => [`f${k + 2}.conf`, `level = ${k + 2}\n#include "f${k + 3}.conf"\n`]),
    ]),
    check: (r, dir) => {
      assert.deepEqual(pairs(r.sections[0]), Array.from({ length: 10 }, (_, k) => `level=${k + 1}`));
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_INCLUDE f10.conf:2']);
      const shallow = readConfig(dir, 'x.conf', { maxIncludeDepth: 3 });
      assert.deepEqual(pairs(shallow.sections[0]), ['level=1', 'level=2', 'level=3']);
      assert.deepEqual(issueKeys(shallow.issues), ['error TST_ERR_CONFIG_INCLUDE f3.conf:2']);
    },
  },
  {
    // process_text_line: #exec runs a program (only with execincludes); tsterisk never does:
    // a warning and the line is skipped. Unknown directives are warnings in Asterisk too.
    name: '#exec and unknown directives are skipped with a warning',
    files: { 'x.conf': '[s]\n#exec /bin/echo a=1\n#frobnicate x\na = 2\n' },
    check: (r) => {
      assert.deepEqual(issueKeys(r.issues), ['warning TST_ERR_CONFIG_INCLUDE x.conf:2', 'warning TST_ERR_CONFIG_SYNTAX x.conf:3']);
      assert.deepEqual(pairs(r.sections[0]), ['a=2']);
    },
  },
  {
    // ast_config_load: a file that does not exist is CONFIG_STATUS_FILEMISSING, not an error.
    name: 'missing top file: found false, no issue',
    files: { 'other.conf': '[s]\n' },
    fileName: 'pjsip.conf',
    check: (r, dir) => {
      assert.equal(r.found, false);
      assert.deepEqual(r.sections, []);
      assert.deepEqual(r.issues, []);
      assert.deepEqual(r.filesRead, []);
      assert.deepEqual(r.watchPaths, [path.join(dir, 'pjsip.conf'), path.join(dir, 'pjsip.yaml')]);
    },
  },
  {
    // Added safety limit: a file over the size limit is one issue and is not read.
    name: 'size limit per file',
    files: { 'x.conf': '[s]\na = 1\n#include "big.conf"\nb = 1\n', 'big.conf': `big = ${'x'.repeat(200)}\n` },
    options: { maxFileBytes: 100 },
    check: (r) => {
      assert.deepEqual(pairs(r.sections[0]), ['a=1', 'b=1']);
      assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_INCLUDE x.conf:3']);
      assert.match(r.issues[0].message, /limit/);
    },
  },
  {
    // fgets() reads CRLF files fine and ast_strip() drops the CR; a UTF-8 BOM is dropped here too.
    name: 'CRLF line endings and a byte order mark',
    files: { 'x.conf': '\ufeff[s]\r\na = 1\r\nb = 2 ; c\r\n' },
    check: (r) => {
      assert.deepEqual(heads(r), ['[s] x.conf:1']);
      assert.deepEqual(pairs(r.sections[0]), ['a=1', 'b=2']);
    },
  },
  {
    // config_text_file_load: lines longer than its 8 KiB buffer are skipped with a warning.
    name: 'over-long line skipped with a warning',
    files: { 'x.conf': `[s]\nlong = ${'y'.repeat(9000)}\nshort = 1\n` },
    check: (r) => {
      assert.deepEqual(pairs(r.sections[0]), ['short=1']);
      assert.deepEqual(issueKeys(r.issues), ['warning TST_ERR_CONFIG_SYNTAX x.conf:2']);
    },
  },
  {
    // readConfig: `<base>.yaml` beside the .conf is read after it; YAML may inherit .conf templates.
    name: 'YAML alternative appended after the .conf sections',
    files: { 'pjsip.conf': '[tpl](!)\ncontext = c\n[alice]\ntype = endpoint\n', 'pjsip.yaml': 'alice:\n  type: aor\nbob:\n  _inherit: tpl\n  type: endpoint\n' },
    fileName: 'pjsip.conf',
    check: (r, dir) => {
      assert.deepEqual(heads(r), ['[alice] pjsip.conf:3', '[alice] pjsip.yaml:1', '[bob] pjsip.yaml:3 (tpl)']);
      assert.deepEqual(fullVars(r.sections[2]), ['context|c|pjsip.conf:2|plain|inherited', 'type|endpoint|pjsip.yaml:5|plain|own']);
      assert.deepEqual(r.filesRead, [path.join(dir, 'pjsip.conf'), path.join(dir, 'pjsip.yaml')]);
    },
  },
  {
    // readConfig: `found` is true when only the YAML file exists.
    name: 'YAML alone counts as found',
    files: { 'pjsip.yaml': 'alice:\n  type: aor\n' },
    fileName: 'pjsip.conf',
    check: (r) => {
      assert.equal(r.found, true);
      assert.deepEqual(heads(r), ['[alice] pjsip.yaml:1']);
    },
  },
];

describe('conf dialect (readConfig)', () => {
  after(cleanupTrees);

  for (const c of cases) {
    it(c.name, () => {
      const dir = writeTree(c.files);
      const r = readConfig(dir, c.fileName ?? 'x.conf', c.options);
      c.check(r, dir);
    });
  }

  it('the default size limit is 8 MiB', () => {
    const dir = writeTree({ 'x.conf': '[s]\n#include "big.conf"\n' });
    // 131072 comment lines of 64 bytes: exactly 8 MiB.
    const exact = `;${'c'.repeat(62)}\n`.repeat(131072);
    fs.writeFileSync(path.join(dir, 'big.conf'), `${exact}\n`);
    assert.deepEqual(issueKeys(readConfig(dir, 'x.conf').issues), ['error TST_ERR_CONFIG_INCLUDE x.conf:2']);
    fs.writeFileSync(path.join(dir, 'big.conf'), exact);
    assert.deepEqual(readConfig(dir, 'x.conf').issues, []);
  });

  it('never throws on unreadable input and reports the top file itself at line 0', () => {
    const dir = writeTree({});
    fs.mkdirSync(path.join(dir, 'x.conf'));
    const r = readConfig(dir, 'x.conf');
    assert.equal(r.found, true);
    assert.deepEqual(issueKeys(r.issues), ['error TST_ERR_CONFIG_SYNTAX x.conf:0']);
    assert.equal(readConfig(path.join(os.tmpdir(), 'tst-no-such-folder-xyz'), 'x.conf').found, false);
  });
});

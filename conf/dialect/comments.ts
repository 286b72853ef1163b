/**
 * Comment removal for one file, line by line, following the loop in `config_text_file_load()`
 * (main/config.c):
 * - `;` starts a comment to the end of the line; `\;` is a literal semicolon (the backslash is
 *   dropped).
 * - `;--` opens a block comment and `--;` closes it; they nest (up to 128 deep). `;---` (three or
 *   more dashes) is NOT an opener, so the usual `;-------` separator lines stay one-line comments.
 * - Text before an opener and after the matching closer on the same line is joined and parsed as
 *   one line.
 * One deliberate difference: Asterisk treats a `--;` outside any block comment as a closer, drives
 * its nesting counter negative and then silently ignores the rest of the file. Here it is an
 * ordinary `;` comment plus a warning naming the line.
 */

/** Asterisk's MAX_NESTED_COMMENTS. */
const MAX_NESTED_COMMENTS = 128;

export interface CommentNote {
  severity: 'error' | 'warning';
  message: string;
}

export interface StrippedLine {
  /** The text left to parse, or null when the whole line sits inside a block comment. */
  text: string | null;
  notes: CommentNote[];
}

export class CommentStripper {
  /** Start line of every open block comment, innermost last. */
  private readonly open: number[] = [];

  strip(raw: string, lineNo: number): StrippedLine {
    const notes: CommentNote[] = [];
    let text = raw;
    const startedInside = this.open.length > 0;
    let kept = '';
    let everOutside = !startedInside;
    /** Where the current stretch of parseable text began, or -1 while inside a block comment. */
    let segStart = startedInside ? -1 : 0;
    let pos = 0;
    let ended = false;

    for (;;) {
      const j = text.indexOf(';', pos);
      if (j < 0) break;
      if (j > pos && text[j - 1] === '\\') {
        // Escaped: drop the backslash; the `;` (now at j - 1) is plain text.
        text = text.slice(0, j - 1) + text.slice(j);
        pos = j;
        continue;
      }
      if (text[j + 1] === '-' && text[j + 2] === '-' && text[j + 3] !== '-') {
        if (this.open.length < MAX_NESTED_COMMENTS) {
          if (this.open.length === 0 && segStart >= 0) kept += text.slice(segStart, j);
          segStart = -1;
          this.open.push(lineNo);
          pos = j + 3;
        } else {
          notes.push({ severity: 'error', message: `block comments nested deeper than ${MAX_NESTED_COMMENTS}` });
          pos = j + 1;
        }
        continue;
      }
      if (j >= pos + 2 && text[j - 1] === '-' && text[j - 2] === '-') {
        if (this.open.length === 0) {
          notes.push({
            severity: 'warning',
            message: "'--;' outside a block comment is read as a plain ';' comment (Asterisk would ignore the rest of the file)",
          });
          kept += text.slice(segStart, j);
          segStart = -1;
          ended = true;
          break;
        }
        this.open.pop();
        pos = j + 1;
        if (this.open.length === 0) {
          segStart = j + 1;
          everOutside = true;
        }
        continue;
      }
      if (this.open.length === 0) {
        kept += text.slice(segStart, j);
        segStart = -1;
        ended = true;
        break;
      }
      pos = j + 1;
    }
    if (!ended && this.open.length === 0 && segStart >= 0) kept += text.slice(segStart);
    return { text: everOutside ? kept : null, notes };
  }

  /** Line where the innermost still-open block comment began (Asterisk reports that one), if any. */
  unterminatedFrom(): number | undefined {
    return this.open.length > 0 ? this.open[this.open.length - 1] : undefined;
  }
}

/**
 * Where config files are looked for and how their names are shown. Relative names are relative to
 * the config folder, never to the including file (Asterisk prefixes ast_config_AST_CONFIG_DIR the
 * same way); names shown in issues and on variables are relative to the config folder when the
 * file lies inside it, absolute otherwise.
 */
import path from 'node:path';

export function resolveConfigPath(configDir: string, name: string): string {
  return path.isAbsolute(name) ? path.normalize(name) : path.join(configDir, name);
}

export function displayPath(configDir: string, absPath: string): string {
  const rel = path.relative(configDir, absPath);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return absPath;
  return rel.split(path.sep).join('/');
}

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package folder (this file runs from dist/loader/). */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The embedded default configuration that `npm start` runs, like /etc/asterisk. */
export function defaultConfigDir(): string {
  return path.join(packageRoot(), 'conf', 'default');
}

/**
 * The catalogue of built-in modules: name → lazy import. autoload=yes loads every one of them
 * not marked noload; a name not found here is looked up as a file or an npm package.
 */
type Importer = () => Promise<unknown>;

export const catalogue: Readonly<Record<string, Importer>> = {
  pbx_config: () => import('./pbx_config.js'),
  func_devstate: () => import('./func_devstate.js'),
  func_presencestate: () => import('./func_presencestate.js'),
  res_mwi_external: () => import('./res_mwi_external.js'),
};

export function catalogueNames(): string[] {
  return Object.keys(catalogue).sort();
}

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
  res_pjsip: () => import('./res_pjsip.js'),
  res_pjsip_authenticator_digest: () => import('./res_pjsip_authenticator_digest.js'),
  res_pjsip_outbound_authenticator_digest: () => import('./res_pjsip_outbound_authenticator_digest.js'),
  res_pjsip_endpoint_identifier_user: () => import('./res_pjsip_endpoint_identifier_user.js'),
  res_pjsip_endpoint_identifier_ip: () => import('./res_pjsip_endpoint_identifier_ip.js'),
  res_pjsip_endpoint_identifier_anonymous: () => import('./res_pjsip_endpoint_identifier_anonymous.js'),
  res_pjsip_registrar: () => import('./res_pjsip_registrar.js'),
  res_pjsip_pubsub: () => import('./res_pjsip_pubsub.js'),
  res_pjsip_exten_state: () => import('./res_pjsip_exten_state.js'),
  res_pjsip_pidf_body_generator: () => import('./res_pjsip_pidf_body_generator.js'),
  res_pjsip_xpidf_body_generator: () => import('./res_pjsip_xpidf_body_generator.js'),
  res_pjsip_dialog_info_body_generator: () => import('./res_pjsip_dialog_info_body_generator.js'),
  res_pjsip_pidf_digium_body_supplement: () => import('./res_pjsip_pidf_digium_body_supplement.js'),
  res_pjsip_pidf_eyebeam_body_supplement: () => import('./res_pjsip_pidf_eyebeam_body_supplement.js'),
  res_pjsip_mwi_body_generator: () => import('./res_pjsip_mwi_body_generator.js'),
  res_pjsip_mwi: () => import('./res_pjsip_mwi.js'),
  res_pjsip_outbound_publish: () => import('./res_pjsip_outbound_publish.js'),
  res_pjsip_publish_asterisk: () => import('./res_pjsip_publish_asterisk.js'),
};

export function catalogueNames(): string[] {
  return Object.keys(catalogue).sort();
}

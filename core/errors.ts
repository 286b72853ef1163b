/**
 * One catalogue of stable error codes. Every error the kernel raises carries one of these,
 * so callers (the loader, the CLI, tests) decide on the code, never on the message text.
 */
export const ErrorCodes = {
  TST_ERR_DUPLICATE_REGISTRATION: 'a key is already registered by another owner',
  TST_ERR_UNKNOWN_KEY: 'no registration under that key',
  TST_ERR_CONFIG_SYNTAX: 'a config line cannot be parsed',
  TST_ERR_CONFIG_INCLUDE: 'an #include failed (missing file, loop or depth)',
  TST_ERR_CONFIG_OPTION: 'an unknown option or a bad value in a config object',
  TST_ERR_CONFIG_TEMPLATE: 'a section inherits from a template that does not exist',
  TST_ERR_MODULE_INVALID: 'a module file does not export a valid module',
  TST_ERR_MODULE_NOT_FOUND: 'no module by that name',
  TST_ERR_MODULE_DECLINED: 'a module declined to load',
  TST_ERR_MODULE_DEPENDENCY: 'a dependency is missing, declined or forms a cycle',
  TST_ERR_MODULE_IN_USE: 'a module cannot be unloaded while it is in use',
  TST_ERR_MODULES_CONF: 'a bad line in modules.conf',
  TST_ERR_SERVICE: 'a service was used without being declared or provided',
  TST_ERR_CLI_UNKNOWN: 'no CLI command by that name',
  TST_ERR_CLI_USAGE: 'a CLI command was given bad arguments',
  TST_ERR_STATE: 'a bad state value or a state that cannot be changed',
  TST_ERR_STORE: 'the embedded database failed',
  TST_ERR_SIP_MESSAGE: 'a SIP message lacks a required header or has a malformed one',
  TST_ERR_SIP_TRANSPORT: 'a SIP transport cannot be created, bound or used (bad bind, missing certificate, no transport for a target)',
  TST_ERR_SIP_TRANSACTION: 'a SIP transaction was misused (response after the final one, unknown method for the state)',
  TST_ERR_BODY_DATA: 'a body generator was given data it cannot render (e.g. no dialog-info version counter)',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class TstError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'TstError';
  }
}

export function isTstError(e: unknown, code?: ErrorCode): e is TstError {
  return e instanceof TstError && (code === undefined || e.code === code);
}

/** Message of anything thrown, for log lines. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

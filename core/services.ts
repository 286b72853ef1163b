/**
 * Typed services modules provide to one another. A module extends this map by declaration
 * merging (`declare module '../core/services.js' { interface ServiceMap { pjsip: PjsipApi } }`),
 * provides the service in load(), and a dependent uses it only if it declared the provider in
 * `requires` or `optional`: modules never import each other's files.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ServiceMap {}
export type ServiceName = keyof ServiceMap & string;

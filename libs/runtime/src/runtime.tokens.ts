export const RUNTIME_CONFIG = Symbol('RUNTIME_CONFIG');
export const CLOCK = Symbol('CLOCK');

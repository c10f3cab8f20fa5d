export const RUNTIME_CONFIG = Symbol('RUNTIME_CONFIG');
export const SQL_STORE = Symbol('SQL_STORE');
export const GEO_LOOKUP = Symbol('GEO_LOOKUP');
export const CLOCK = Symbol('CLOCK');

export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');
export const CLOCK = Symbol('CLOCK');

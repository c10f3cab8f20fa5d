/** The process's one GeoLookup: stable as an object, always answering from the databases loaded now (see GeoLifecycle). */
export const GEO_LOOKUP = Symbol('GEO_LOOKUP');

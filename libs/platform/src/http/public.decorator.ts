import { SetMetadata } from '@nestjs/common';

/** The metadata key the API-key guard (libs/auth) reads: a route marked with it needs no key. */
export const PUBLIC_ROUTE = 'telemetry:public-route';

/** Marks a handler or controller as public (health, version, Prometheus, OpenAPI); every other route needs a valid key. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

import { applyDecorators, Controller, UseFilters, UseInterceptors } from '@nestjs/common';
import { ConsumerExceptionFilter } from './consumer-exception.filter';
import { ConsumerInterceptor } from './consumer.interceptor';

/** Marks a class of `@EventPattern` handlers: the consumer span and metrics, and the one consumer exception filter. */
export function EventLogConsumer(): ClassDecorator {
  return applyDecorators(Controller(), UseInterceptors(ConsumerInterceptor), UseFilters(ConsumerExceptionFilter));
}

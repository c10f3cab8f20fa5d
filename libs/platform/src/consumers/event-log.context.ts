import { BaseRpcContext } from '@nestjs/microservices';

/** What a handler (and the interceptor and filter around it) knows about the batch it was given. */
export class EventLogContext extends BaseRpcContext<[groupId: string, topic: string, partition: number, options: ConsumerContextOptions]> {
  get groupId(): string {
    return this.args[0];
  }

  get topic(): string {
    return this.args[1];
  }

  get partition(): number {
    return this.args[2];
  }

  /** The group's name as the handler declared it (a metrics label: no deployment prefix). */
  get group(): string {
    return this.args[3].group;
  }

  get spanName(): string {
    return this.args[3].spanName ?? `consume ${this.args[3].group}`;
  }
}

export interface ConsumerContextOptions {
  readonly group: string;
  readonly spanName?: string;
}

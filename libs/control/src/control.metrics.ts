import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@telemetry/platform';
import { Counter, Registry } from 'prom-client';

/** What the control plane reports: commands by outcome, events folded, authentications. */
@Injectable()
export class ControlMetrics {
  readonly commands: Counter<'command' | 'outcome'>;
  readonly events: Counter<'type' | 'applied'>;
  readonly unreadable: Counter;
  readonly authentications: Counter<'outcome'>;
  readonly auditFailures: Counter;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.commands = new Counter({
      name: 'telemetry_control_commands_total',
      help: 'Control-plane commands this process decided, by command and outcome (accepted, refused, conflict).',
      labelNames: ['command', 'outcome'],
      registers: [registry],
    });
    this.events = new Counter({
      name: 'telemetry_control_events_total',
      help: 'Control events folded from telemetry.control.v1, by type and whether each changed the state (false: a duplicate or a lost race).',
      labelNames: ['type', 'applied'],
      registers: [registry],
    });
    this.unreadable = new Counter({
      name: 'telemetry_control_unreadable_events_total',
      help: 'Control events that could not be read (bad JSON, unknown type, newer schemaVersion) and were skipped.',
      registers: [registry],
    });
    this.auditFailures = new Counter({
      name: 'telemetry_control_audit_append_failures_total',
      help: 'Audit entries of refused admin commands that could not be appended (the refusal was answered anyway).',
      registers: [registry],
    });
    this.authentications = new Counter({
      name: 'telemetry_auth_attempts_total',
      help: 'API-key authentications, by outcome (ok, unknown, revoked, expired, bad_secret, tenant_deleted, quarantined).',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }
}

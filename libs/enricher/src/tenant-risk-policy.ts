import type { ControlPlaneService } from '@telemetry/control';
import { BUILT_IN_POLICIES, type RiskPolicy } from '@telemetry/enrichment';

/**
 * The risk policy of a tenant's flows: the one the tenant chose through the control plane
 * (`risk_policy` of PATCH /v1/admin/tenants/{id}), else the deployment's RISK_POLICY. Read per flow
 * from the folded state (one map lookup), so a change applies from the next record on.
 */
export function tenantRiskPolicy(control: ControlPlaneService, fallback: RiskPolicy): (tenantId: string) => RiskPolicy {
  return (tenantId) => {
    const name = control.state.tenant(tenantId)?.riskPolicy;
    return (name !== undefined && BUILT_IN_POLICIES[name]) || fallback;
  };
}

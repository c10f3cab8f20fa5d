import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHART, helm, installDeployTools, ROOT, tempFile, validate } from './deploy-tools';

/*
 * The Helm chart as CI checks it, offline: `helm lint --strict` and `helm template` for the default,
 * minimal and all-features values (helm/telemetry-api/ci/), every rendered manifest decoded
 * strictly into its Kubernetes API type (test/deploy/validator), and what the manifests say:
 * probes on /health/*, secrets only from Secrets, Kafka TLS/SASL files from Secrets, autoscalers,
 * NetworkPolicies, and ServiceMonitor jobs the Grafana dashboard selects.
 */

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- each kind's own shape, read per test
  data?: Record<string, string>;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}

const VALUE_SETS = ['default', 'minimal', 'all-features'] as const;
const RELEASE = 'tm';
/** The Kubernetes version rendered for: that of the API types the validator decodes into (k8s.io/api v0.37). */
const KUBE_VERSION = '1.37.0';

function valuesFile(set: (typeof VALUE_SETS)[number]): string {
  return path.join(CHART, 'ci', `${set}-values.yaml`);
}

function render(...args: string[]): { ok: true; objects: K8sObject[] } | { ok: false; error: string } {
  const rendered = helm('template', RELEASE, CHART, '--namespace', 'telemetry', '--kube-version', KUBE_VERSION, ...args);
  if (rendered.status !== 0) return { ok: false, error: rendered.stderr };
  const checked = validate('k8s', tempFile('rendered.yaml', rendered.stdout));
  if (!checked.ok) throw new Error(`the rendered manifests do not validate:\n${checked.error}`);
  return { ok: true, objects: checked.value as K8sObject[] };
}

function renderSet(set: (typeof VALUE_SETS)[number], ...extra: string[]): K8sObject[] {
  const result = render('-f', valuesFile(set), ...extra);
  if (!result.ok) throw new Error(`helm template failed for ${set}:\n${result.error}`);
  return result.objects;
}

function renderError(...args: string[]): string {
  const result = render(...args);
  if (result.ok) throw new Error('expected helm template to refuse these values');
  return result.error;
}

const named = (objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);
const one = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map((object) => `${object.kind}/${object.metadata.name}`).join(', ')}`);
  return found;
};
const container = (deployment: K8sObject) => deployment.spec.template.spec.containers[0];
const envOf = (deployment: K8sObject): EnvVar[] => container(deployment).env as EnvVar[];

describe('helm chart (helm/telemetry-api)', () => {
  beforeAll(() => {
    installDeployTools();
  }, 30 * 60_000);

  it.each(VALUE_SETS)('passes helm lint --strict with the %s values', (set) => {
    const lint = helm('lint', '--strict', '--kube-version', KUBE_VERSION, CHART, '-f', valuesFile(set));
    expect(lint.stderr + lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(lint.status).toBe(0);
  });

  it.each(VALUE_SETS)('renders the %s values into manifests that decode strictly', (set) => {
    const objects = renderSet(set);
    expect(objects.length).toBeGreaterThan(3);
    for (const deployment of named(objects, 'Deployment')) {
      const main = container(deployment);
      expect(main.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(main.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(main.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      // Nothing secret as a plain value: the key, the database URL, tokens and passwords come from Secrets.
      for (const variable of envOf(deployment)) {
        if (/TOKEN|PASSWORD|SECRET|API_KEY|DATABASE_URL|SEED_KEYS/.test(variable.name) && !variable.name.endsWith('_FILE')) {
          expect({ [variable.name]: variable.valueFrom?.secretKeyRef }).toEqual({ [variable.name]: expect.objectContaining({ name: expect.any(String) }) });
          expect(variable.value).toBeUndefined();
        }
      }
    }
    for (const configMap of named(objects, 'ConfigMap')) {
      expect(Object.keys(configMap.data ?? {}).filter((key) => /TOKEN|PASSWORD$|SECRET|API_KEY|DATABASE_URL/.test(key))).toEqual([]);
    }
  });

  it('default values: three apps, their Secret, probes, no autoscaler or NetworkPolicy', () => {
    const objects = renderSet('default');
    expect(named(objects, 'Deployment').map((object) => object.metadata.name)).toEqual([
      'tm-telemetry-api-enricher',
      'tm-telemetry-api-ingest-api',
      'tm-telemetry-api-query-api',
    ]);
    expect(named(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(named(objects, 'NetworkPolicy')).toEqual([]);
    expect(named(objects, 'ScaledObject')).toEqual([]);
    const secret = one(objects, 'Secret', 'tm-telemetry-api');
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['api-key', 'database-url']);
    const config = one(objects, 'ConfigMap', 'tm-telemetry-api-config');
    expect(config.data).toMatchObject({
      KAFKA_BROKERS: 'kafka-bootstrap.kafka:9092',
      KAFKA_GROUP_PREFIX: 'telemetry',
      KAFKA_CREATE_TOPICS: 'true',
      READINESS_RETRY_GRACE_MS: '30000',
    });
    expect(config.data).not.toHaveProperty('KAFKA_SECURITY_PROTOCOL');
    expect(one(objects, 'Deployment', 'tm-telemetry-api-enricher').spec.replicas).toBe(2);
  });

  it('minimal values: existing Secrets only, no chart Secret or ServiceAccount', () => {
    const objects = renderSet('minimal');
    expect(named(objects, 'Deployment').map((object) => object.metadata.name)).toEqual(['tm-telemetry-api-enricher', 'tm-telemetry-api-ingest-api']);
    expect(named(objects, 'Secret')).toEqual([]);
    expect(named(objects, 'ServiceAccount')).toEqual([]);
    const ingest = envOf(one(objects, 'Deployment', 'tm-telemetry-api-ingest-api'));
    expect(ingest.find((variable) => variable.name === 'API_KEY')?.valueFrom?.secretKeyRef).toEqual({ name: 'telemetry-api-key', key: 'api-key' });
    expect(ingest.find((variable) => variable.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'telemetry-database', key: 'database-url' });
  });

  describe('all-features values', () => {
    let objects: K8sObject[];
    beforeAll(() => {
      objects = renderSet('all-features');
    });

    it('renders env entries as values or valueFrom, never as a "map[…]" string', () => {
      const splunk = envOf(one(objects, 'Deployment', 'tm-telemetry-api-sink-splunk'));
      expect(splunk).toEqual(
        expect.arrayContaining([
          { name: 'SPLUNK_HEC_URL', value: 'https://splunk.example:8088' },
          { name: 'SPLUNK_HEC_TOKEN', valueFrom: { secretKeyRef: { name: 'splunk-hec', key: 'token' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'TELEMETRY_SEED_KEYS', valueFrom: { secretKeyRef: { name: 'telemetry-seed-keys', key: 'keys', optional: true } } },
        ]),
      );
      const enricher = envOf(one(objects, 'Deployment', 'tm-telemetry-api-enricher'));
      // The app's own entry wins over the global one.
      expect(enricher.filter((variable) => variable.name === 'NODE_OPTIONS')).toEqual([
        { name: 'NODE_OPTIONS', value: '--enable-source-maps --max-old-space-size=768' },
      ]);
      for (const deployment of named(objects, 'Deployment')) {
        for (const variable of envOf(deployment)) expect(String(variable.value ?? '')).not.toMatch(/map\[/);
      }
    });

    it('points the apps at Kafka over SASL_SSL with the CA, client certificate, key and password mounted from Secrets', () => {
      const config = one(objects, 'ConfigMap', 'tm-telemetry-api-config');
      expect(config.data).toMatchObject({
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SSL_CA_FILE: '/etc/telemetry/kafka-tls/ca.crt',
        KAFKA_SSL_CERT_FILE: '/etc/telemetry/kafka-tls/tls.crt',
        KAFKA_SSL_KEY_FILE: '/etc/telemetry/kafka-tls/tls.key',
        KAFKA_SSL_KEY_PASSWORD_FILE: '/etc/telemetry/kafka-tls/key-password',
        KAFKA_SSL_SERVERNAME: 'kafka.internal.example',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'telemetry',
        KAFKA_SASL_PASSWORD_FILE: '/etc/telemetry/kafka-sasl/password',
        KAFKA_TOPIC_PREFIX: 'prod.',
        KAFKA_GROUP_PREFIX: 'prod-telemetry',
        KAFKA_CREATE_TOPICS: 'false',
      });
      for (const deployment of named(objects, 'Deployment')) {
        const pod = deployment.spec.template.spec;
        const volumes = Object.fromEntries((pod.volumes as Array<{ name: string; secret?: unknown }>).map((volume) => [volume.name, volume]));
        expect(volumes['kafka-tls']).toEqual({
          name: 'kafka-tls',
          secret: {
            secretName: 'kafka-client-tls',
            defaultMode: 0o440,
            items: [
              { key: 'ca.crt', path: 'ca.crt' },
              { key: 'tls.crt', path: 'tls.crt' },
              { key: 'tls.key', path: 'tls.key' },
              { key: 'key-password', path: 'key-password' },
            ],
          },
        });
        expect(volumes['kafka-sasl']).toEqual({
          name: 'kafka-sasl',
          secret: { secretName: 'kafka-client-sasl', defaultMode: 0o440, items: [{ key: 'password', path: 'password' }] },
        });
        expect(container(deployment).volumeMounts).toEqual(
          expect.arrayContaining([
            { name: 'kafka-tls', mountPath: '/etc/telemetry/kafka-tls', readOnly: true },
            { name: 'kafka-sasl', mountPath: '/etc/telemetry/kafka-sasl', readOnly: true },
          ]),
        );
        expect(deployment.spec.template.spec.containers[0].image).toBe(
          'registry.example/telemetry-api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
        );
      }
    });

    it('scales ingest-api and query-api on CPU, and the enricher with KEDA on its consumer lag', () => {
      const hpas = named(objects, 'HorizontalPodAutoscaler');
      expect(hpas.map((hpa) => hpa.metadata.name)).toEqual(['tm-telemetry-api-ingest-api', 'tm-telemetry-api-query-api']);
      expect(hpas[0].spec).toMatchObject({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'tm-telemetry-api-ingest-api' },
        minReplicas: 2,
        maxReplicas: 8,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      });
      const scaled = one(objects, 'ScaledObject', 'tm-telemetry-api-enricher');
      expect(scaled.spec).toMatchObject({
        scaleTargetRef: { name: 'tm-telemetry-api-enricher' },
        minReplicaCount: 1,
        maxReplicaCount: 6,
        triggers: [
          {
            type: 'kafka',
            metadata: {
              bootstrapServers: 'kafka-0.kafka-headless:9093,kafka-1.kafka-headless:9093',
              consumerGroup: 'prod-telemetry-enricher',
              lagThreshold: '5000',
            },
            authenticationRef: { name: 'kafka-trigger-auth' },
          },
        ],
      });
      // The autoscalers own the replica counts.
      for (const app of ['ingest-api', 'query-api', 'enricher'])
        expect(one(objects, 'Deployment', `tm-telemetry-api-${app}`).spec).not.toHaveProperty('replicas');
      expect(one(objects, 'Deployment', 'tm-telemetry-api-sink-splunk').spec.replicas).toBe(1);
    });

    it('isolates each app with a NetworkPolicy: HTTP in from the selected peers; DNS, Kafka, PostgreSQL and the extra rules out', () => {
      const policies = named(objects, 'NetworkPolicy');
      expect(policies).toHaveLength(5);
      const ingest = one(objects, 'NetworkPolicy', 'tm-telemetry-api-ingest-api').spec;
      expect(ingest.podSelector.matchLabels).toEqual({
        'app.kubernetes.io/name': 'telemetry-api',
        'app.kubernetes.io/instance': RELEASE,
        'app.kubernetes.io/component': 'ingest-api',
      });
      expect(ingest.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(ingest.ingress).toEqual([
        {
          ports: [{ port: 'http', protocol: 'TCP' }],
          from: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
          ],
        },
      ]);
      const egressPorts = (spec: { egress: Array<{ ports: Array<{ port: number }> }> }) => spec.egress.map((rule) => rule.ports.map((port) => port.port));
      expect(egressPorts(ingest)).toEqual([[53, 53], [9092, 9093], [5432], [4318]]);
      // The enricher has no database; the Splunk sink may reach its destination.
      expect(egressPorts(one(objects, 'NetworkPolicy', 'tm-telemetry-api-enricher').spec)).toEqual([[53, 53], [9092, 9093], [4318]]);
      expect(egressPorts(one(objects, 'NetworkPolicy', 'tm-telemetry-api-sink-splunk').spec)).toEqual([[53, 53], [9092, 9093], [4318], [8088]]);
    });

    it('labels the ServiceMonitor jobs with the app names the Grafana dashboard selects', () => {
      const monitor = one(objects, 'ServiceMonitor', 'tm-telemetry-api');
      expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
      expect(monitor.spec.jobLabel).toBe('app.kubernetes.io/component');
      expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'http', path: '/v1/metrics/prometheus' });
      const dashboard = fs.readFileSync(path.join(ROOT, 'infra/grafana/dashboards/telemetry-pipeline.json'), 'utf8');
      const selector = /job=~\\"([^"\\]+)\\"/.exec(dashboard)?.[1];
      expect(selector).toBeDefined();
      // Every distributed app the dashboard selects has a Service the ServiceMonitor picks up, whose job label is that name.
      const jobs = named(objects, 'Service')
        .filter((service) =>
          Object.entries(monitor.spec.selector.matchLabels as Record<string, string>).every(([key, value]) => service.metadata.labels?.[key] === value),
        )
        .map((service) => service.metadata.labels?.['app.kubernetes.io/component']);
      // Every app the chart runs with these values (the three roles and both sinks) is on the dashboard.
      const selected = (selector ?? '').split('|');
      expect([...jobs].sort()).toEqual(['enricher', 'ingest-api', 'query-api', 'sink-elastic', 'sink-splunk']);
      expect(selected).toEqual(expect.arrayContaining([...jobs, 'all-in-one']));
    });
  });

  it('refuses secrets as plain values, malformed env entries, values the schema does not know, and SASL without its Secret', () => {
    const required = ['--set', 'kafka.brokers=k:9092', '--set', 'database.url=postgres://u:p@db:5432/t'];
    expect(renderError(...required, '--set', 'apps.sink-splunk.env.SPLUNK_HEC_TOKEN=abc')).toContain(
      'apps.sink-splunk.env.SPLUNK_HEC_TOKEN looks like a secret: give it as { valueFrom: { secretKeyRef: { name: <secret>, key: <key> } } }',
    );
    expect(renderError(...required, '--set', 'env.ELASTIC_PASSWORD=hunter2')).toContain('env.ELASTIC_PASSWORD looks like a secret');
    expect(renderError(...required, '-f', tempFile('v.yaml', 'env:\n  SPLUNK_HEC_URL:\n    value: https://x\n'))).toContain(
      "at '/env/SPLUNK_HEC_URL': 'oneOf' failed, none matched",
    );
    expect(renderError(...required, '--set', 'replicaCount=3')).toContain("at '': additional properties 'replicaCount' not allowed");
    expect(renderError(...required, '--set', 'kafka.sasl.mechanism=scram-sha-256', '--set', 'kafka.sasl.username=u')).toContain(
      'kafka.sasl.existingSecret is required',
    );
    expect(renderError(...required, '--set', 'kafka.sasl.mechanism=kerberos')).toContain("at '/kafka/sasl/mechanism': value must be one of");
    expect(renderError('--set', 'database.url=postgres://u:p@db:5432/t')).toContain('kafka.brokers is required');
    expect(renderError(...required, '--set', 'keda.enabled=true', '--set', 'apps.enricher.autoscaling.enabled=true')).toContain(
      'keda.enabled and apps.enricher.autoscaling.enabled exclude each other',
    );
  });

  it('the validator refuses a manifest with a misspelt field, a wrong type or an unknown kind', () => {
    const rendered = helm('template', RELEASE, CHART, '--kube-version', KUBE_VERSION, '-f', valuesFile('default'));
    expect(rendered.status).toBe(0);
    const misspelt = rendered.stdout.replace(/^spec:\n {2}replicas: 2$/m, 'spec:\n  replica: 2');
    expect(misspelt).not.toBe(rendered.stdout);
    const refused = validate('k8s', tempFile('misspelt.yaml', misspelt));
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.error).toMatch(/Deployment tm-telemetry-api-\S+\): unknown field "spec.replica"/);
    const wrongType = validate('k8s', tempFile('type.yaml', 'apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec: { ports: [{ port: "eighty" }] }\n'));
    expect(wrongType.ok ? '' : wrongType.error).toMatch(/Service s\).*port/);
    const unknown = validate('k8s', tempFile('kind.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\n'));
    expect(unknown.ok ? '' : unknown.error).toContain('no schema for apiVersion "example.com/v1" kind "Widget"');
  });
});

/**
 * Import boundaries (CONVENTIONS.md §1, §4, §5, §15), checked in `npm run lint`:
 * contracts import no framework; pure cores import no adapters; apps never import apps; libs never
 * import apps; no cycles.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'apps-never-import-apps',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    { name: 'libs-never-import-apps', severity: 'error', from: { path: '^libs/' }, to: { path: '^apps/' } },
    {
      name: 'contracts-import-no-framework',
      severity: 'error',
      from: { path: '^libs/contracts/', pathNot: '\\.spec\\.ts$' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer'] },
    },
    {
      name: 'contracts-import-no-other-lib',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: { path: '^libs/', pathNot: '^libs/contracts/' },
    },
    {
      name: 'pure-enrichment-core',
      comment: 'The enrichment core knows nothing of Nest, Kafka, the event log or the database.',
      severity: 'error',
      from: { path: '^libs/enrichment/' },
      to: { path: ['^node_modules/(@nestjs|kafkajs|typeorm|pg)/', '^libs/(event-log|persistence|runtime|platform|ingest|query|enricher|sink)/'] },
    },
    {
      name: 'event-log-port-is-pure',
      severity: 'error',
      from: { path: '^libs/event-log/src/event-log\\.port\\.ts$' },
      to: { dependencyTypes: ['npm', 'npm-dev'] },
    },
    {
      name: 'only-the-kafka-adapter-imports-kafkajs',
      severity: 'error',
      from: { pathNot: '^libs/event-log/src/kafka/|^test/|\\.(int-|e2e-)?spec\\.ts$' },
      to: { path: '^node_modules/kafkajs/' },
    },
    {
      name: 'no-production-code-imports-testing',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: '^libs/testing/|\\.(int-|e2e-)?spec\\.ts$|/testing/' },
      to: { path: '^libs/testing/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    // node_modules stays in the graph (not followed) so the rules on npm dependencies can fire.
    exclude: { path: '^dist/' },
  },
};

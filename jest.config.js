// One jest project per test tier; the tier is in the filename (CONVENTIONS.md §12).
const swc = ['@swc/jest', {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
}];
const moduleNameMapper = {
  '^@telemetry/(.*)$': '<rootDir>/libs/$1/src',
};
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
};
module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    { ...base, displayName: 'int', testMatch: ['**/*.int-spec.ts'], slowTestThreshold: 30 },
    { ...base, displayName: 'e2e', testMatch: ['**/*.e2e-spec.ts'], slowTestThreshold: 60 },
  ],
  testTimeout: 120000,
  globalSetup: '<rootDir>/test/global-setup.js',
};

import { ConfigError, ConfigReader } from '@telemetry/platform';
import { readEnricherConfig } from './enricher.config';

function read(env: Record<string, string>) {
  const reader = new ConfigReader(env);
  const config = readEnricherConfig(reader);
  reader.done();
  return config;
}

describe('the enricher config', () => {
  it('scores with the original live policy unless RISK_POLICY names another built-in one', () => {
    expect(read({}).riskPolicy).toBe('original-live');
    expect(read({ RISK_POLICY: 'confidence-weighted' }).riskPolicy).toBe('confidence-weighted');
  });

  it('refuses to start on a policy it does not have, naming the ones it has', () => {
    expect(() => read({ RISK_POLICY: 'aggressive' })).toThrow(ConfigError);
    expect(() => read({ RISK_POLICY: 'aggressive' })).toThrow(/RISK_POLICY must be one of original-live, confidence-weighted, got "aggressive"/);
  });
});

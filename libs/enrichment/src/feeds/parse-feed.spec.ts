import { InvalidFeedOptionsError } from '../enrichment.errors';
import { FEED_FORMATS, type FeedFormat } from './feed.types';
import { FEED_DEFAULTS, parseFeed } from './parse-feed';

describe('parseFeed', () => {
  it('has defaults for every format', () => {
    expect(Object.keys(FEED_DEFAULTS).sort()).toEqual([...FEED_FORMATS].sort());
  });

  it.each(FEED_FORMATS.map((format) => [format]))('%s: empty text is nothing at all', (format) => {
    const expected =
      format === 'stix2' ? { indicators: [], malformed: [{ line: 0, reason: 'not valid JSON' }], skipped: 0 } : { indicators: [], malformed: [], skipped: 0 };
    expect(parseFeed(format, '', { source: 's' })).toEqual(expected);
  });

  it.each([[-1], [101], [Number.NaN]])('refuses confidence %d with a coded error', (confidence) => {
    expect(() => parseFeed('plain', '192.0.2.1\n', { source: 's', confidence })).toThrow(InvalidFeedOptionsError);
  });

  it('refuses an unknown format with a coded error', () => {
    expect(() => parseFeed('snort' as FeedFormat, '', { source: 's' })).toThrow(expect.objectContaining({ code: 'invalid_feed_options' }));
  });
});

import { handlerSlices, MAX_HANDLER_BATCH_BYTES } from './kafka.event-log';

const messages = (sizes: number[]) => sizes.map((size) => ({ value: Buffer.alloc(size) }));

describe('handlerSlices', () => {
  it('cuts a fetched batch by message count', () => {
    expect(handlerSlices(messages([1, 1, 1, 1, 1]), 2)).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
  });

  it('cuts it by value bytes too, so a batch of frames does not make one long handler call', () => {
    const frame = MAX_HANDLER_BATCH_BYTES / 4;
    expect(handlerSlices(messages([frame, frame, frame, frame, frame, frame]), 5_000)).toEqual([
      [0, 4],
      [4, 6],
    ]);
  });

  it('hands a message larger than the byte bound over alone, and a tombstone counts nothing', () => {
    expect(handlerSlices([{ value: Buffer.alloc(MAX_HANDLER_BATCH_BYTES + 1) }, { value: null }, { value: Buffer.alloc(1) }], 10)).toEqual([
      [0, 1],
      [1, 3],
    ]);
  });
});

import { classify, isTransientDependencyError } from './consumer-exception.filter';

/** An error as TypeORM hands a driver's on: QueryFailedError-like, the driver's error in `driverError`. */
function wrapped(driverError: Error): Error {
  return Object.assign(new Error(`query failed: ${driverError.message}`), { name: 'QueryFailedError', driverError });
}

describe('classify', () => {
  it('takes retriable: true and the stable code from the error', () => {
    expect(classify(Object.assign(new Error('log down'), { code: 'event_log_unavailable', retriable: true }))).toEqual({
      retriable: true,
      errorClass: 'event_log_unavailable',
      message: 'log down',
    });
  });

  it.each([
    [
      'Postgres: a database not accepting connections (55000)',
      wrapped(Object.assign(new Error('database "x" is not currently accepting connections'), { code: '55000' })),
    ],
    ['Postgres: the server shutting down (57P01)', wrapped(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))],
    ['Postgres: a lost connection (08006)', wrapped(Object.assign(new Error('connection failure'), { code: '08006' }))],
    ['Postgres: a deadlock (40P01)', wrapped(Object.assign(new Error('deadlock detected'), { code: '40P01' }))],
    ['the network: refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['SQLite: busy (5)', Object.assign(new Error('database is locked'), { errcode: 5 })],
    ['a cause chain', new Error('projection failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) })],
  ])('calls %s retriable: it will succeed once the dependency is back', (_, error) => {
    expect(isTransientDependencyError(error)).toBe(true);
    expect(classify(error).retriable).toBe(true);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['Postgres: a constraint (23505)', wrapped(Object.assign(new Error('duplicate key'), { code: '23505' }))],
    ['Postgres: a missing table (42P01)', wrapped(Object.assign(new Error('relation "x" does not exist'), { code: '42P01' }))],
    ['SQLite: corrupt (11)', Object.assign(new Error('database disk image is malformed'), { errcode: 11 })],
    ['not an Error', 'just a string'],
  ])('calls %s permanent', (_, error) => {
    expect(classify(error).retriable).toBe(false);
  });
});

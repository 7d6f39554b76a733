import { EntityNotFoundError, QueryFailedError } from 'typeorm';
import { classifyDatabaseError, describeDatabaseError } from './database-errors';

const driverError = (code: string, message = 'driver says no'): Error =>
  Object.assign(new Error(message), { code });

describe('database errors', () => {
  it.each([
    [new QueryFailedError('SELECT 1', [], driverError('22021')), 'failed'],
    [new QueryFailedError('SELECT 1', [], driverError('08006')), 'unavailable'],
    [new QueryFailedError('SELECT 1', [], driverError('57P01')), 'unavailable'],
    [new QueryFailedError('SELECT 1', [], driverError('53300')), 'unavailable'],
    [new EntityNotFoundError('Model', {}), 'failed'],
    [driverError('ECONNREFUSED'), 'unavailable'],
    [driverError('42P01'), 'failed'],
    [new Error('something else'), undefined],
    [new TypeError('x is undefined'), undefined],
    ['a string', undefined],
  ])('classifies %s as %s', (error, kind) => {
    expect(classifyDatabaseError(error)).toBe(kind);
  });

  it('describes the driver error with its SQLSTATE and without the parameters', () => {
    const error = new QueryFailedError(
      'SELECT $1',
      ['secret-argument'],
      driverError('22021', 'bad byte'),
    );
    expect(describeDatabaseError(error)).toBe('bad byte (SQLSTATE 22021)');
  });
});

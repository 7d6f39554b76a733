import { Logger, NotFoundException } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import { QueryFailedError } from 'typeorm';
import { graphqlErrorFormatter } from './graphql-error-formatter';

/** mercurius' wrapper of parse, validation and variable errors. */
const requestErrors = (...errors: unknown[]): GraphQLError =>
  new GraphQLError('Graphql validation error', {
    originalError: Object.assign(new Error('Graphql validation error'), {
      errors,
      statusCode: 400,
    }),
  });

describe('graphqlErrorFormatter', () => {
  const logged: string[] = [];
  const logger = new Logger('test');
  jest.spyOn(logger, 'error').mockImplementation((message: unknown, stack?: unknown) => {
    logged.push(`${String(message)} ${typeof stack === 'string' ? stack : ''}`);
  });
  const format = graphqlErrorFormatter(logger);
  const context = {} as MercuriusContext;

  beforeEach(() => (logged.length = 0));

  it.each([
    [
      requestErrors(new GraphQLError('Syntax Error: Expected Name, found <EOF>.')),
      'GRAPHQL_PARSE_FAILED',
    ],
    [
      requestErrors(
        new GraphQLError('Syntax Error: Document contains more that 1000 tokens. Parsing aborted.'),
      ),
      'QUERY_TOO_LARGE',
    ],
    [requestErrors(new GraphQLError('Validation aborted.')), 'QUERY_TOO_COMPLEX'],
    [
      requestErrors(new GraphQLError('Cannot query field "x" on type "Model".')),
      'GRAPHQL_VALIDATION_FAILED',
    ],
    [
      requestErrors(
        new GraphQLError(
          'Variable "$n" got invalid value 42; String cannot represent a non string value: 42',
          {
            originalError: new GraphQLError('String cannot represent a non string value: 42'),
          },
        ),
      ),
      'BAD_USER_INPUT',
    ],
    [
      requestErrors(Object.assign(new Error('body must be object'), { validationContext: 'body' })),
      'BAD_REQUEST',
    ],
    [
      new GraphQLError('Body is not valid JSON', {
        originalError: Object.assign(new Error('Body is not valid JSON'), { statusCode: 400 }),
      }),
      'BAD_REQUEST',
    ],
  ])('gives a request refused before execution a code and a 4xx: %s', (error, code) => {
    const { statusCode, response } = format({ errors: [error] }, context);
    expect(statusCode).toBe(400);
    expect(response).toEqual({
      errors: [{ message: expect.any(String) as string, extensions: { code } }],
    });
    expect(logged).toEqual([]);
  });

  it('answers a database failure during execution with a stable message, the detail logged only', () => {
    const driverError = Object.assign(
      new Error('invalid byte sequence for encoding "UTF8": 0x00'),
      {
        code: '22021',
      },
    );
    const error = new GraphQLError('invalid byte sequence for encoding "UTF8": 0x00', {
      path: ['model'],
      originalError: new QueryFailedError('SELECT ...', ['a\u0000b'], driverError),
    });
    const { statusCode, response } = format({ data: { model: null }, errors: [error] }, context);
    expect(statusCode).toBe(200);
    expect(response).toEqual({
      data: { model: null },
      errors: [
        {
          message: 'the registry database could not answer this request',
          path: ['model'],
          extensions: { code: 'DATABASE_ERROR' },
        },
      ],
    });
    expect(JSON.stringify(response)).not.toContain('UTF8');
    expect(logged).toEqual([
      expect.stringContaining(
        'model: invalid byte sequence for encoding "UTF8": 0x00 (SQLSTATE 22021)',
      ),
    ]);
  });

  it('answers a database that is down as DATABASE_UNAVAILABLE', () => {
    const error = new GraphQLError('connect ECONNREFUSED', {
      path: ['models'],
      originalError: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), {
        code: 'ECONNREFUSED',
      }),
    });
    const { response } = format({ data: null, errors: [error] }, context);
    expect(response.errors[0]).toMatchObject({
      message: 'the registry database is unavailable; retry later',
      extensions: { code: 'DATABASE_UNAVAILABLE' },
    });
  });

  it('answers anything unexpected as an internal error without its text, and logs the stack', () => {
    const error = new GraphQLError("Cannot read properties of undefined (reading 'x')", {
      path: ['models', 0, 'name'],
      originalError: new TypeError("Cannot read properties of undefined (reading 'x')"),
    });
    const { response } = format({ data: null, errors: [error] }, context);
    expect(response.errors).toEqual([
      {
        message: 'internal error',
        path: ['models', 0, 'name'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(logged[0]).toContain('TypeError');
  });

  it('keeps the code and extensions of errors the control plane raised', () => {
    const error = new GraphQLError('name is too long', {
      path: ['model'],
      extensions: { code: 'BAD_USER_INPUT', maximum: 255 },
    });
    const { response } = format({ data: { model: null }, errors: [error] }, context);
    expect(response.errors[0]).toEqual({
      message: 'name is too long',
      path: ['model'],
      extensions: { code: 'BAD_USER_INPUT', maximum: 255 },
    });
  });

  it('answers a Nest HTTP exception from a resolver by its status', () => {
    const error = new GraphQLError('no such deployment', {
      path: ['deployment'],
      originalError: new NotFoundException('no such deployment'),
    });
    const { response } = format({ data: { deployment: null }, errors: [error] }, context);
    expect(response.errors[0]).toMatchObject({
      message: 'no such deployment',
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('cuts messages that quote long caller input', () => {
    const error = requestErrors(
      new GraphQLError(`Cannot query field "${'f'.repeat(50_000)}" on type "Model".`),
    );
    const { response } = format({ errors: [error] }, context);
    expect(response.errors[0].message.length).toBeLessThan(400);
    expect(response.errors[0].message).toContain('(message cut from 50');
  });
});

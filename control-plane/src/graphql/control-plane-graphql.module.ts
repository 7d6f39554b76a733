import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import type { FastifyRequest } from 'fastify';
import type { GraphqlContext } from '../auth/request-identity';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/control-plane-config.module';
import { graphqlErrorFormatter } from './graphql-error-formatter';
import { refuseJsonDocuments } from './json-document-guard';
import { refuseNulCharacters } from './nul-characters';
import { refuseCostlyOperations } from './operation-cost';
import { refuseOverComplexOperations } from './query-complexity';
import { controlPlaneValidationRules } from './validation-rules';

export const GRAPHQL_PATH = '/graphql';

/**
 * Code-first GraphQL at /graphql; resolvers live in the capability modules. Every operation is
 * bounded before it executes: the parser stops at the token limit, operations over the depth /
 * alias / field limits are refused before validation, validation refuses introspection where it
 * is off, and strings holding U+0000 are refused before any resolver runs. Which requests reach it at all is decided in
 * http-server/ (POST with application/json only, body size and deadline).
 */
@Module({
  imports: [
    GraphQLModule.forRootAsync<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      inject: [CONTROL_PLANE_CONFIG],
      useFactory: (config: ControlPlaneConfig): MercuriusDriverConfig => ({
        path: GRAPHQL_PATH,
        graphiql: isGraphiqlServed(config),
        // Writing the SDL lets reviewers diff the contract; the schema-drift test keeps it current.
        autoSchemaFile: config.graphqlSchemaFile ?? true,
        sortSchema: true,
        buildSchemaOptions: { addNewlineAtEnd: true },
        // mercurius' default cache keeps up to 2 x 1024 parsed documents and as many invalid ones,
        // each ~280 KiB at the token limit: hundreds of MiB pinned by distinct queries. Parsing and
        // validating a bounded document costs less than a millisecond for the queries clients send.
        cache: false,
        allowBatchedQueries: false,
        graphql: {
          parseOptions: { maxTokens: config.graphql.maxTokens },
          validateOptions: { maxErrors: 10 },
        },
        validationRules: controlPlaneValidationRules(config.graphql),
        errorFormatter: graphqlErrorFormatter(),
        // The identity the onRequest hook established (auth/graphql-authentication.hook.ts).
        context: graphqlContext,
        hooks: {
          preParsing: refuseJsonDocuments,
          preValidation: refuseCostlyOperations(config.graphql),
          preExecution: [
            refuseNulCharacters,
            refuseOverComplexOperations(config.graphql.maxComplexity),
          ],
        },
      }),
    }),
  ],
})
export class ControlPlaneGraphqlModule {}

/** GraphiQL: outside production, and only where it can read the schema. */
export function isGraphiqlServed(config: ControlPlaneConfig): boolean {
  return config.nodeEnv !== 'production' && config.graphql.introspection;
}

/** The caller and request id for resolvers (@CurrentCaller, @RequestId, @RequireRole). */
function graphqlContext(request: FastifyRequest): Partial<GraphqlContext> {
  return request.controlPlaneIdentity ?? {};
}

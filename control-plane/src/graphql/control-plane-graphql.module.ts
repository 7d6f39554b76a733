import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/control-plane-config.module';

/** Code-first GraphQL at /graphql; resolvers live in the capability modules. */
@Module({
  imports: [
    GraphQLModule.forRootAsync<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      inject: [CONTROL_PLANE_CONFIG],
      useFactory: (config: ControlPlaneConfig): MercuriusDriverConfig => ({
        path: '/graphql',
        graphiql: config.nodeEnv !== 'production',
        // Writing the SDL lets reviewers diff the contract; the schema-drift test keeps it current.
        autoSchemaFile: config.graphqlSchemaFile ?? true,
        sortSchema: true,
        buildSchemaOptions: { addNewlineAtEnd: true },
      }),
    }),
  ],
})
export class ControlPlaneGraphqlModule {}

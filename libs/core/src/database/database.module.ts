import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CoreConfig } from '../config/core.config';

/**
 * One DataSource per process, `synchronize` off: the schema only changes through migrations
 * (`npm run db:migrate`). Entities are registered by each lib with TypeOrmModule.forFeature.
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [CoreConfig],
      useFactory: (cfg: CoreConfig) => ({
        type: 'postgres' as const,
        url: cfg.DATABASE_URL,
        autoLoadEntities: true,
        synchronize: false,
        migrationsRun: false,
        logging: false,
        // One failed connect at boot should surface as an error, not retry silently for minutes.
        retryAttempts: 2,
        retryDelay: 500,
        extra: { max: Number(process.env.DB_POOL_SIZE ?? 20), application_name: process.env.HUB_PROCESS_NAME ?? 'hub' },
      }),
    }),
  ],
})
export class DatabaseModule {}

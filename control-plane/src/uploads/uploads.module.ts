import { Module } from '@nestjs/common';
import { UploadSweeper } from './upload-sweeper';
import { UploadsController } from './uploads.controller';
import { UploadsService } from './uploads.service';

/**
 * Artifact uploads for users without MLflow: `/v1/uploads` (resumable, size-bounded), and
 * UploadsService.claim / release for the registration that moves a finished upload into the
 * artifact store. Independent of the registry.
 */
@Module({
  controllers: [UploadsController],
  providers: [UploadsService, UploadSweeper],
  exports: [UploadsService],
})
export class UploadsModule {}

import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { MediaConfig } from './media.config';
import { MediaService } from './media.service';

/** Product images on Cloudinary (PartnerCredentials comes from the app's vault or env module). */
@Module({
  providers: [provideConfig(MediaConfig), MediaService],
  exports: [MediaService],
})
export class MediaModule {}

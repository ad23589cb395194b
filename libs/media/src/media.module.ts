import { Module } from '@nestjs/common';
import { MediaService } from './media.service';

/** Product images on Cloudinary (PartnerCredentials comes from the app's vault or env module). */
@Module({
  providers: [MediaService],
  exports: [MediaService],
})
export class MediaModule {}

import { CloudinaryLocationConfig } from '@hub/core';

/** Where Cloudinary lives: the same settings, resolved the same way, as the vault's verifier reads. */
export class MediaConfig extends CloudinaryLocationConfig {}

import type { Channel } from '@hub/core';

/**
 * One Cloudinary eager transform per channel, so every listing gets an image in the size the
 * channel asks for: Amazon wants 2000x2000 on white, Nykaa 800x800 filled, the storefront (and
 * the mobile app reading it) a 400x400 thumbnail.
 */
export const CHANNEL_IMAGE_PRESETS: Record<Channel, string> = {
  amazon: 'c_pad,w_2000,h_2000,b_white',
  nykaa: 'c_fill,w_800,h_800',
  storefront: 'c_thumb,w_400,h_400',
};

export const PRESET_CHANNELS = Object.keys(CHANNEL_IMAGE_PRESETS) as Channel[];

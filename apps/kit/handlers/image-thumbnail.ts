/**
 * The 256 px WebP thumbnail of a JPEG, PNG or WebP image, with sharp (libvips), guarded against
 * images too large to hold or decode. Shared by the upload processors of CloudVault and PersonalPod.
 *
 * sharp is a native package: a handler that imports this module keeps it out of its bundle and
 * gets its linux-arm64 build installed into its asset (HANDLER_NATIVE_PACKAGES in
 * apps/kit/build/install-native-modules.ts, keyed `<app>/<handler>`).
 */
import type SharpModule from 'sharp';

export const THUMBNAIL_SIZE = 256;
/** Images larger than this (bytes) stay without thumbnail rather than be held in memory. */
export const THUMBNAIL_MAX_SOURCE_BYTES = 50 * 1024 * 1024;
/**
 * Decompression-bomb guard: images with more pixels are never decoded (sharp's default allows
 * 268 MP, about 1 GB of RGBA). 100 MP covers today's phone and camera sensors; larger images stay
 * available without a thumbnail.
 */
export const THUMBNAIL_MAX_INPUT_PIXELS = 100_000_000;

/** The thumbnail, or why there is none: `skipped` (too large, the image is fine) or `invalid` (not a decodable image). */
export type Thumbnail = { readonly webp: Buffer } | { readonly skipped: string } | { readonly invalid: string };

type Sharp = typeof SharpModule;
let sharpModule: Sharp | undefined;

/**
 * sharp is loaded on the first image only: it is a native module (libvips) that non-image uploads
 * never need, and loading it costs cold-start time. The bundle keeps it external; the build
 * installs its linux-arm64 build into the asset (apps/kit/build/install-native-modules.ts).
 */
function loadSharp(): Sharp {
  if (!sharpModule) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sharpModule = require('sharp') as Sharp;
    sharpModule.cache(false); // one image per invocation: libvips' operation cache only holds memory
  }
  return sharpModule;
}

/** The thumbnail of `image` (the whole file; callers skip files above THUMBNAIL_MAX_SOURCE_BYTES). */
export async function makeThumbnail(image: Buffer): Promise<Thumbnail> {
  const sharp = loadSharp();
  let width: number | undefined;
  let height: number | undefined;
  try {
    // The header only (no pixels decoded), so no pixel limit yet: a huge image is skipped, not invalid.
    ({ width, height } = await sharp(image, { limitInputPixels: false }).metadata());
  } catch (err) {
    return { invalid: (err as Error).message };
  }
  if (!width || !height) return { invalid: 'no dimensions' };
  if (width * height > THUMBNAIL_MAX_INPUT_PIXELS) return { skipped: `${width}x${height} exceeds ${THUMBNAIL_MAX_INPUT_PIXELS} pixels` };
  try {
    const webp = await sharp(image, { limitInputPixels: THUMBNAIL_MAX_INPUT_PIXELS, failOn: 'error' })
      .rotate() // EXIF orientation, so portrait photos stay portrait
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
    return { webp };
  } catch (err) {
    return { invalid: (err as Error).message };
  }
}

import sharp from 'sharp';

/** libvips' loaders for what the vision API accepts: JPEG, PNG and WebP, from memory only. */
const ALLOWED_LOADERS = [
  'VipsForeignLoadJpegBuffer',
  'VipsForeignLoadPngBuffer',
  'VipsForeignLoadWebpBuffer',
];

/**
 * libvips settings for the whole process (sharp has no per-instance ones), the same for every
 * gateway it runs; applying them twice is harmless.
 * - One libvips thread per image: decodes run side by side on libuv's threads, as many as the
 *   decode budget allows, so CPU and memory per decode do not grow with the machine's cores. (sharp
 *   already defaults to 1 with glibc's allocator; with jemalloc or musl it would take every core.)
 * - No operation cache: every request body is a new image, so cached operations are never reused
 *   and could only hold memory (up to 50 MB by default).
 */
export function applyImageDecoderSettings(): void {
  sharp.concurrency(1);
  sharp.cache(false);
}

/**
 * Blocks every libvips loader but those the vision API needs, so no other decoder (SVG, TIFF,
 * HEIF, ...) can ever parse a body, whatever its bytes claim; the signature check
 * (image-format.ts) already sends it none. For the gateway's own process only (main.ts): a tool
 * that runs a gateway in-process may use sharp for more (scripts/render-detections.ts composes
 * SVG overlays).
 */
export function blockOtherImageLoaders(): void {
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: ALLOWED_LOADERS });
}

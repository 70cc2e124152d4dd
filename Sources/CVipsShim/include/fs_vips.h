#ifndef FILESTORE_FS_VIPS_H
#define FILESTORE_FS_VIPS_H
/* Non-variadic entry points into libvips for Swift: libvips' API is built on variadic, NULL-terminated option
 * lists and macros (VIPS_INIT), which Swift cannot call. Every function returns 0 on success, -1 on failure
 * with the reason in fs_vips_error(). */
int fs_vips_init(int max_threads, int cache_max_ops);
/* Reads only the header: width, height and the loader libvips would use. */
int fs_vips_probe(const char *path, int *width, int *height, char *loader, int loader_len);
/* A thumbnail at most `size` pixels on its longer side (never enlarged), orientation applied, no metadata;
 * the output format follows `out`'s suffix (.jpg, .png, .webp, .gif …). */
int fs_vips_thumbnail(const char *in, const char *out, int size);
/* The same pixels, orientation applied, re-encoded without any metadata (EXIF, XMP, IPTC, ICC comments). */
int fs_vips_scrub(const char *in, const char *out);
/* The last error of this thread's calls (copied into buf), then cleared. */
void fs_vips_take_error(char *buf, int len);
#endif

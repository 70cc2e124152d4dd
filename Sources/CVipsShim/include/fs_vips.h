#ifndef FILESTORE_FS_VIPS_H
#define FILESTORE_FS_VIPS_H
/* Non-variadic entry points into libvips for Swift: libvips' API is built on variadic, NULL-terminated option
 * lists and macros (VIPS_INIT), which Swift cannot call.
 *
 * Errors: libvips keeps one error buffer per process, written by every thread (its own worker threads
 * included), so a failing call cannot tell its own messages from another call's by reading it. Every call
 * therefore takes an fs_vips_error: on failure it receives a copy of the buffer and `solo`, which is 1 only
 * when no other fs_vips call overlapped this one (the buffer, cleared when the shim went idle, then holds
 * this call's messages alone). When solo is 0 the caller keeps only the lines that name its own files. */
typedef struct fs_vips_error {
    char message[2048];
    int solo;
} fs_vips_error;

int fs_vips_init(int max_threads, int cache_max_ops);
/* Reads only the header: width, height, the EXIF orientation (1 when none) and the loader libvips would use.
 * Returns 0, -2 when libvips has no loader for the file (not an image), -1 on any other failure. */
int fs_vips_probe(const char *path, int *width, int *height, int *orientation, char *loader, int loader_len, fs_vips_error *err);
/* A thumbnail at most `size` pixels on its longer side (never enlarged), orientation applied, no metadata;
 * the output format follows `out`'s suffix (.jpg, .png, .webp, .gif …). */
int fs_vips_thumbnail(const char *in, const char *out, int size, fs_vips_error *err);
/* The same pixels, orientation applied, re-encoded without any metadata (EXIF, XMP, IPTC, ICC comments).
 * An image whose orientation needs rows out of order (anything but 1) is decoded with random access; an
 * upright one is streamed (sequential access). */
int fs_vips_scrub(const char *in, const char *out, fs_vips_error *err);
/* How many fs_vips calls are running now (for tests). */
int fs_vips_in_flight(void);
#endif

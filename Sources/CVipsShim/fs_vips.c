#include "fs_vips.h"
#include <pthread.h>
#include <string.h>
#include <vips/vips.h>

int fs_vips_init(int max_threads, int cache_max_ops) {
    if (VIPS_INIT("filestore")) return -1;
    vips_block_untrusted_set(TRUE);          /* refuse loaders libvips marks as unsafe for untrusted input */
    vips_cache_set_max(cache_max_ops);       /* bounded operation cache */
    vips_cache_set_max_mem(64 * 1024 * 1024);
    if (max_threads > 0) vips_concurrency_set(max_threads);
    return 0;
}

/* --- attributing libvips' process-wide error buffer to one call (see fs_vips.h) --- */
static pthread_mutex_t calls_lock = PTHREAD_MUTEX_INITIALIZER;
static int calls_in_flight = 0;
static unsigned long calls_started = 0;

typedef struct call { unsigned long start; int solo; } call;

static call call_begin(void) {
    call c;
    pthread_mutex_lock(&calls_lock);
    if (calls_in_flight == 0) vips_error_clear(); /* idle: whatever is there belongs to no running call */
    c.solo = calls_in_flight == 0;
    calls_in_flight++;
    c.start = ++calls_started;
    pthread_mutex_unlock(&calls_lock);
    return c;
}

static int call_end(call c, int status, fs_vips_error *err) {
    pthread_mutex_lock(&calls_lock);
    int solo = c.solo && calls_started == c.start && calls_in_flight == 1;
    if (status != 0 && err) {
        const char *e = vips_error_buffer();
        strncpy(err->message, e ? e : "", sizeof err->message - 1);
        err->message[sizeof err->message - 1] = 0;
        err->solo = solo;
    }
    calls_in_flight--;
    if (calls_in_flight == 0) vips_error_clear();
    pthread_mutex_unlock(&calls_lock);
    return status;
}

int fs_vips_in_flight(void) {
    pthread_mutex_lock(&calls_lock);
    int n = calls_in_flight;
    pthread_mutex_unlock(&calls_lock);
    return n;
}

static int orientation_of(VipsImage *im) {
    int o = 1;
    if (vips_image_get_typeof(im, VIPS_META_ORIENTATION) && vips_image_get_int(im, VIPS_META_ORIENTATION, &o)) o = 1;
    return (o >= 1 && o <= 8) ? o : 1;
}

int fs_vips_probe(const char *path, int *width, int *height, int *orientation, char *loader, int loader_len, fs_vips_error *err) {
    call c = call_begin();
    const char *name = vips_foreign_find_load(path);
    if (!name) { call_end(c, -1, NULL); return -2; }
    VipsImage *im = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!im) return call_end(c, -1, err);
    *width = vips_image_get_width(im);
    *height = vips_image_get_height(im);
    *orientation = orientation_of(im);
    if (loader && loader_len > 0) {
        strncpy(loader, name, loader_len - 1);
        loader[loader_len - 1] = 0;
    }
    g_object_unref(im);
    return call_end(c, 0, err);
}

/* Saves `image` to `out` with no metadata. Not every saver honours "strip" (libvips 8.14's webpsave keeps
 * EXIF and XMP), so the metadata fields are removed from a copy first and "strip" is asked for as well. */
static int save_without_metadata(VipsImage *image, const char *out) {
    VipsImage *copy = NULL;
    if (vips_copy(image, &copy, NULL)) return -1;
    gchar **fields = vips_image_get_fields(copy);
    for (int i = 0; fields && fields[i]; i++) {
        const char *f = fields[i];
        if (g_str_has_prefix(f, "exif-") || g_str_has_prefix(f, "xmp-") || g_str_has_prefix(f, "iptc-") ||
            g_str_has_prefix(f, "gif-comment") || g_str_has_prefix(f, "png-comment") || strcmp(f, "orientation") == 0) {
            vips_image_remove(copy, f);
        }
    }
    g_strfreev(fields);
    int status;
    if (g_str_has_suffix(out, ".tif") || g_str_has_suffix(out, ".tiff")) {
        /* TIFF: compressed (libvips writes it uncompressed by default: 72 MB for a 24-megapixel photo). */
        status = vips_tiffsave(copy, out, "strip", TRUE, "compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE,
                               "predictor", VIPS_FOREIGN_TIFF_PREDICTOR_HORIZONTAL, NULL);
    } else {
        status = vips_image_write_to_file(copy, out, "strip", TRUE, NULL);
    }
    g_object_unref(copy);
    return status ? -1 : 0;
}

int fs_vips_thumbnail(const char *in, const char *out, int size, fs_vips_error *err) {
    call c = call_begin();
    VipsImage *thumb = NULL;
    if (vips_thumbnail(in, &thumb, size, "height", size, "size", VIPS_SIZE_DOWN, "fail_on", VIPS_FAIL_ON_ERROR, NULL))
        return call_end(c, -1, err);
    int status = save_without_metadata(thumb, out);
    g_object_unref(thumb);
    return call_end(c, status, err);
}

int fs_vips_scrub(const char *in, const char *out, fs_vips_error *err) {
    call c = call_begin();
    /* The header alone (libvips opens lazily) says whether rotation will need rows out of order: a rotated or
     * flipped image is decoded with random access (into memory, or a temporary file past libvips' disc
     * threshold), an upright one streamed. The pixel limit was checked on the header before this call. */
    VipsImage *header = vips_image_new_from_file(in, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    if (!header) return call_end(c, -1, err);
    int rotated_on_disk = orientation_of(header) != 1;
    g_object_unref(header);
    VipsImage *im = vips_image_new_from_file(in, "access", rotated_on_disk ? VIPS_ACCESS_RANDOM : VIPS_ACCESS_SEQUENTIAL,
                                             "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    if (!im) return call_end(c, -1, err);
    VipsImage *upright = NULL;
    if (vips_autorot(im, &upright, NULL)) { g_object_unref(im); return call_end(c, -1, err); }
    int status = save_without_metadata(upright, out);
    g_object_unref(upright);
    g_object_unref(im);
    return call_end(c, status, err);
}

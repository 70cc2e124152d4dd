#include "fs_vips.h"
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

int fs_vips_probe(const char *path, int *width, int *height, char *loader, int loader_len) {
    const char *name = vips_foreign_find_load(path);
    if (!name) return -1;
    VipsImage *im = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!im) return -1;
    *width = vips_image_get_width(im);
    *height = vips_image_get_height(im);
    if (loader && loader_len > 0) {
        strncpy(loader, name, loader_len - 1);
        loader[loader_len - 1] = 0;
    }
    g_object_unref(im);
    return 0;
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
    int status = vips_image_write_to_file(copy, out, "strip", TRUE, NULL);
    g_object_unref(copy);
    return status ? -1 : 0;
}

int fs_vips_thumbnail(const char *in, const char *out, int size) {
    VipsImage *thumb = NULL;
    if (vips_thumbnail(in, &thumb, size, "height", size, "size", VIPS_SIZE_DOWN, "fail_on", VIPS_FAIL_ON_ERROR, NULL)) return -1;
    int status = save_without_metadata(thumb, out);
    g_object_unref(thumb);
    return status;
}

int fs_vips_scrub(const char *in, const char *out) {
    VipsImage *im = vips_image_new_from_file(in, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    if (!im) return -1;
    VipsImage *rotated = NULL;
    if (vips_autorot(im, &rotated, NULL)) { g_object_unref(im); return -1; }
    int status = save_without_metadata(rotated, out);
    g_object_unref(rotated);
    g_object_unref(im);
    return status;
}

void fs_vips_take_error(char *buf, int len) {
    const char *e = vips_error_buffer();
    if (buf && len > 0) {
        strncpy(buf, e ? e : "", len - 1);
        buf[len - 1] = 0;
    }
    vips_error_clear();
}

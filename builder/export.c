/*
 * export.c - an image's merged root filesystem out of the store
 * (`-o type=local` and `-o type=tar`): its layers applied in order into a
 * directory, whiteouts turned into deletions.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "builder-internal.h"
#include "cleanup.h"

int build_export_rootfs(struct layer_store *s, const struct cb_digest *manifest, int dest_fd,
			struct cb_error **err)
{
	struct store_image img;
	int ret = 0;

	if (layer_store_image_get(s, manifest->str, &img, err) < 0)
		return -1;
	for (size_t i = 0; i < img.manifest.nlayers && ret == 0; i++) {
		struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
		cleanup_close int fd =
			layer_store_blob_open(s, &img.manifest.layers[i].digest, err);
		struct cb_digest got;

		o.overlay = false;
		if (fd < 0 || layer_apply(dest_fd, fd, &o, &got, err) < 0) {
			ret = cb_error_wrap(err, "export layer %zu", i);
			break;
		}
		if (i < img.config.diff_ids.n && strcmp(got.str, img.config.diff_ids.v[i]))
			ret = cb_error_set(err, 0, "layer %zu has diff ID %s, want %s", i, got.str,
					   img.config.diff_ids.v[i]);
	}
	store_image_release(&img);
	return ret;
}

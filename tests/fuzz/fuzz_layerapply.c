/*
 * fuzz_layerapply.c - layer apply (layerstore/tarapply.c) on arbitrary
 * bytes: tar, gzip or zstd streams extracted into a fresh directory with
 * small limits.  Everything must stay inside that directory: a sentinel
 * next to it must survive, and nothing may appear beside it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "layerstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];

/* The sandbox: BASE/root is the layer root, BASE/sentinel must survive. */
static void setup(void)
{
	struct cb_error *err = NULL;
	int fd;

	if (base[0])
		return;
	snprintf(base, sizeof(base), "/tmp/fuzz-layerapply-%ld", (long)getpid());
	cb_rm_rf(AT_FDCWD, base, &err);
	cb_error_free(&err);
	if (mkdir(base, 0700) < 0)
		abort();
	fd = openat(AT_FDCWD, base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || cb_write_file_atomic(fd, "sentinel", "keep", 4, 0644, &err) < 0)
		abort();
	close(fd);
}

static void check_outside(void)
{
	char path[128], buf[8] = {0};
	DIR *d = opendir(base);
	struct dirent *de;
	int fd;

	snprintf(path, sizeof(path), "%s/sentinel", base);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || read(fd, buf, sizeof(buf)) != 4 || memcmp(buf, "keep", 4))
		abort();
	close(fd);
	if (!d)
		abort();
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "sentinel") && strcmp(de->d_name, "root"))
			abort(); /* something was written beside the root */
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	struct cb_error *err = NULL;
	struct cb_digest diff_id;
	char root[128];
	int in, rootfd;

	setup();
	snprintf(root, sizeof(root), "%s/root", base);
	cb_rm_rf(AT_FDCWD, root, &err);
	cb_error_free(&err);
	if (mkdir(root, 0755) < 0)
		abort();
	in = memfd_create("layer", MFD_CLOEXEC);
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in < 0 || rootfd < 0 || write(in, data, size) != (ssize_t)size ||
	    lseek(in, 0, SEEK_SET))
		abort();
	o.max_bytes = 16u << 20;
	o.max_entries = 4096;
	o.overlay = size & 1;
	if (layer_apply(rootfd, in, &o, &diff_id, &err) < 0)
		cb_error_free(&err);
	close(in);
	close(rootfd);
	check_outside();
	return 0;
}

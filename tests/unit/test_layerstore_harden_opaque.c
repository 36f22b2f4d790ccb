/*
 * test_layerstore_harden_opaque.c - issue 11, finding 11: an opaque
 * whiteout at the root of a layer hides all lower content.  overlayfs
 * ignores the opaque marker on a lowerdir's root, so the snapshot stack
 * (layer_store_snapshot_lowerdirs) must end at such a layer; the marker
 * itself is set on the snapshot's root by apply; in delete mode (a flat
 * tree) the root whiteout empties the root.
 */
#include "layertest.h"

/* A plain tar layer: the root opaque whiteout and new; its digest is its diff ID. */
static void opaque_root_layer(struct layer_store *s, struct cb_digest *d)
{
	struct lt_tar t = {CB_STRBUF_INIT};

	lt_tar_file(&t, "./.wh..wh..opq", "");
	lt_tar_file(&t, "./new", "new\n");
	for (int i = 0; i < 1024; i++)
		cb_strbuf_addch(&t.sb, '\0');
	LT_OK(layer_store_blob_put(s, t.sb.buf, t.sb.len, d, err_));
	cb_strbuf_release(&t.sb);
}

/* Three layers: old/file; the opaque root with new; top.  Chain IDs in c[]. */
static struct layer_store *three_layers(struct cb_digest c[3])
{
	struct layer_diff_opts o = LAYER_DIFF_OPTS_INIT;
	struct layer_desc l1, l3;
	struct cb_digest d2;
	struct layer_store *s;
	int fd;

	lt_mkdirs("l1/old");
	lt_write("l1/old/file", "old\n");
	lt_mkdirs("l3");
	lt_write("l3/top", "top\n");
	LT_OK((s = layer_store_open("store", err_)) ? 0 : -1);
	o.overlay = true;
	fd = lt_open_dir("l1");
	LT_OK(layer_store_diff(s, fd, &o, &l1, err_));
	close(fd);
	fd = lt_open_dir("l3");
	LT_OK(layer_store_diff(s, fd, &o, &l3, err_));
	close(fd);
	opaque_root_layer(s, &d2);
	LT_OK(layer_store_snapshot_prepare(s, NULL, &l1.digest, &l1.diff_id, &c[0], err_));
	LT_OK(layer_store_snapshot_prepare(s, &c[0], &d2, &d2, &c[1], err_));
	LT_OK(layer_store_snapshot_prepare(s, &c[1], &l3.digest, &l3.diff_id, &c[2], err_));
	return s;
}

static void test_harden_root_opaque_ends_stack(void **state)
{
	struct cb_digest c[3];
	struct cb_strvec dirs = CB_STRVEC_INIT;
	struct layer_store *s;
	cleanup_free char *d2 = NULL, *d3 = NULL, *p = NULL;
	char v[2];

	(void)state;
	if (geteuid() != 0)
		skip(); /* trusted.* xattrs and snapshots; CI runs the unit tests as root */
	s = three_layers(c);
	d2 = layer_store_snapshot_dir(s, &c[1]);
	d3 = layer_store_snapshot_dir(s, &c[2]);
	/* apply marked the layer's root opaque */
	assert_int_equal(getxattr(d2, "trusted.overlay.opaque", v, sizeof(v)), 1);
	p = xasprintf("%s/new", d2);
	assert_int_equal(access(p, F_OK), 0);
	/* the stack: top, then the opaque layer; layer 1 is hidden */
	LT_OK(layer_store_snapshot_lowerdirs(s, &c[2], &dirs, err_));
	assert_int_equal(dirs.n, 2);
	assert_string_equal(dirs.v[0], d3);
	assert_string_equal(dirs.v[1], d2);
	cb_strvec_clear(&dirs);
	/* from the opaque layer itself: just it */
	LT_OK(layer_store_snapshot_lowerdirs(s, &c[1], &dirs, err_));
	assert_int_equal(dirs.n, 1);
	assert_string_equal(dirs.v[0], d2);
	cb_strvec_clear(&dirs);
	/* below it, the whole stack is there as before */
	LT_OK(layer_store_snapshot_lowerdirs(s, &c[0], &dirs, err_));
	assert_int_equal(dirs.n, 1);
	cb_strvec_clear(&dirs);
	layer_store_close(s);
}

/* Delete mode (a flat tree): the root opaque whiteout empties the root. */
static void test_harden_root_opaque_flat_apply(void **state)
{
	struct layer_apply_opts o = LAYER_APPLY_OPTS_INIT;
	struct lt_tar t = {CB_STRBUF_INIT};
	cleanup_free char *dump = NULL;
	struct cb_digest d;

	(void)state;
	o.overlay = false;
	lt_mkdirs("root/old");
	lt_write("root/old/file", "old\n");
	lt_write("root/keep", "lower\n");
	lt_tar_file(&t, "./.wh..wh..opq", "");
	lt_tar_file(&t, "./new", "new\n");
	lt_tar_save(&t, "l.tar");
	LT_OK(lt_apply("l.tar", "root", &o, &d, err_));
	assert_int_equal(access("root/old", F_OK), -1);
	assert_int_equal(access("root/keep", F_OK), -1);
	dump = lt_read("root/new");
	assert_string_equal(dump, "new\n");
}

CB_TEST_MAIN(cmocka_unit_test(test_harden_root_opaque_ends_stack),
	     cmocka_unit_test(test_harden_root_opaque_flat_apply))

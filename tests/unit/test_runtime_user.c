/*
 * test_runtime_user.c - resolving "user[:group]" against /etc/passwd and
 * /etc/group, with runc's rules (runtime/user.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cbtest.h"
#include "cleanup.h"
#include "fsutil.h"
#include "runtime-internal.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "# a comment\n"
			     "\n"
			     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			     "user:x:1000:1000:User,,,:/home/user:/bin/bash\n"
			     "+nis\n"
			     "dup:x:1000:77:second entry with uid 1000:/dup:/bin/sh\n"
			     "bad:x:notanumber:0::/:/bin/sh\n"
			     "short:x:5\n"
			     "nohome:x:2000:2000:::/bin/sh";
static const char group[] = "root:x:0:root\n"
			    "wheel:x:10:root, user\n"
			    "audio:x:29:user\n"
			    "users:x:100:\n"
			    "user:x:1000:\n"
			    "odd:x:nan:user\n"
			    "staff:x:50:other,user2";

static void resolve_ok(const char *spec, struct runtime_ids *ids)
{
	char err[256] = "";

	if (user_resolve_buf(spec, passwd, group, ids, err, sizeof(err)) < 0)
		fail_msg("resolve `%s`: %s", spec ? spec : "(null)", err);
}

static void test_root_default(void **state)
{
	struct runtime_ids ids;

	(void)state;
	resolve_ok("", &ids);
	assert_int_equal(ids.uid, 0);
	assert_int_equal(ids.gid, 0);
	assert_string_equal(ids.home, "/root");
	assert_int_equal(ids.ngroups, 2);
	assert_int_equal(ids.groups[0], 0);
	assert_int_equal(ids.groups[1], 10);
	resolve_ok(NULL, &ids);
	assert_int_equal(ids.uid, 0);
}

static void test_by_name_and_uid(void **state)
{
	struct runtime_ids ids;

	(void)state;
	resolve_ok("user", &ids);
	assert_int_equal(ids.uid, 1000);
	assert_int_equal(ids.gid, 1000);
	assert_string_equal(ids.home, "/home/user");
	/* wheel lists " user" with a space: trimmed; audio lists user; staff does not */
	assert_int_equal(ids.ngroups, 2);
	assert_int_equal(ids.groups[0], 10);
	assert_int_equal(ids.groups[1], 29);
	/* by uid: the first entry with that uid */
	resolve_ok("1000", &ids);
	assert_int_equal(ids.gid, 1000);
	assert_string_equal(ids.home, "/home/user");
	resolve_ok("daemon", &ids);
	assert_int_equal(ids.uid, 1);
	assert_int_equal(ids.ngroups, 0);
}

static void test_unknown_numeric(void **state)
{
	struct runtime_ids ids;

	(void)state;
	resolve_ok("4321", &ids);
	assert_int_equal(ids.uid, 4321);
	assert_int_equal(ids.gid, 0);
	assert_string_equal(ids.home, "/");
	assert_int_equal(ids.ngroups, 0);
	resolve_ok("4321:4322", &ids);
	assert_int_equal(ids.gid, 4322);
	/* no passwd or group file at all: numbers still work */
	assert_int_equal(user_resolve_buf("7:8", NULL, NULL, &ids, NULL, 0), 0);
	assert_int_equal(ids.uid, 7);
	assert_int_equal(ids.gid, 8);
}

static void test_explicit_group(void **state)
{
	struct runtime_ids ids;

	(void)state;
	resolve_ok("user:audio", &ids);
	assert_int_equal(ids.uid, 1000);
	assert_int_equal(ids.gid, 29);
	assert_int_equal(ids.ngroups, 0); /* explicit group: no supplementary ones */
	resolve_ok("user:10", &ids);
	assert_int_equal(ids.gid, 10);
	resolve_ok("0:users", &ids);
	assert_int_equal(ids.gid, 100);
}

static void expect_error(const char *spec, const char *p, const char *g, const char *want)
{
	struct runtime_ids ids = {.uid = 99};
	char err[256] = "";

	assert_int_equal(user_resolve_buf(spec, p, g, &ids, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_int_equal(ids.uid, 99); /* untouched on failure */
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("nosuch", passwd, group,
		     "unable to find user nosuch: no matching entries in passwd file");
	expect_error("user:nosuch", passwd, group,
		     "unable to find group nosuch: no matching entries in group file");
	expect_error("nosuch", NULL, NULL,
		     "unable to find user nosuch: no matching entries in passwd file");
	expect_error("bad", passwd, group, "malformed passwd entry for user bad");
	expect_error(":5", passwd, group, "invalid user :5: empty user name");
	expect_error("user:odd", passwd, group, "malformed group entry for group odd");
	expect_error("4294967295", NULL, NULL,
		     "unable to find user 4294967295: no matching entries in passwd file");
}

static void test_home_fallback(void **state)
{
	struct runtime_ids ids;

	(void)state;
	resolve_ok("nohome", &ids);
	assert_int_equal(ids.uid, 2000);
	assert_string_equal(ids.home, "/");
	/* a line without enough fields never matches */
	expect_error("short", passwd, group,
		     "unable to find user short: no matching entries in passwd file");
}

static void test_too_many_groups(void **state)
{
	char g[8192];
	size_t n = 0;
	char err[256] = "";
	struct runtime_ids ids;

	(void)state;
	for (int i = 0; i < RUNTIME_MAX_GROUPS + 1; i++)
		n += (size_t)snprintf(g + n, sizeof(g) - n, "g%d:x:%d:user\n", i, 2000 + i);
	assert_int_equal(user_resolve_buf("user", passwd, g, &ids, err, sizeof(err)), -1);
	assert_string_equal(err, "user user is in more than 64 groups");
}

/* runtime_resolve_user reads the files inside the rootfs, symlinks resolved in it. */
static void test_resolve_in_rootfs(void **state)
{
	struct cb_error *err = NULL;
	struct runtime_ids ids;
	cleanup_close int root = -1;

	(void)state;
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "rootfs/etc", 0755, &err), 0);
	assert_int_equal(cb_mkdir_p(AT_FDCWD, "rootfs/usr/share", 0755, &err), 0);
	assert_int_equal(cb_write_file_atomic(AT_FDCWD, "rootfs/usr/share/passwd", passwd,
					      strlen(passwd), 0644, &err),
			 0);
	/* an absolute symlink: must resolve inside the rootfs, not on the host */
	assert_int_equal(symlink("/usr/share/passwd", "rootfs/etc/passwd"), 0);
	root = open("rootfs", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	assert_int_equal(runtime_resolve_user(root, "user", &ids, &err), 0);
	assert_int_equal(ids.uid, 1000);
	assert_int_equal(ids.ngroups, 0); /* no /etc/group */
	/* /etc/group -> /etc/group inside the rootfs: a loop, not the host's file */
	assert_int_equal(symlink("/etc/group", "rootfs/etc/group"), 0);
	assert_int_equal(runtime_resolve_user(root, "user", &ids, &err), -1);
	assert_non_null(strstr(cb_error_msg(err), "/etc/group"));
	cb_error_free(&err);
	assert_int_equal(unlink("rootfs/etc/group"), 0);
	assert_int_equal(runtime_resolve_user(root, "daemon:5", &ids, &err), 0);
	assert_int_equal(ids.gid, 5);
	assert_int_equal(runtime_resolve_user(root, "ghost", &ids, &err), -1);
	assert_string_equal(cb_error_msg(err),
			    "unable to find user ghost: no matching entries in passwd file");
	cb_error_free(&err);
}

CB_TEST_MAIN(cmocka_unit_test(test_root_default), cmocka_unit_test(test_by_name_and_uid),
	     cmocka_unit_test(test_unknown_numeric), cmocka_unit_test(test_explicit_group),
	     cmocka_unit_test(test_errors), cmocka_unit_test(test_home_fallback),
	     cmocka_unit_test(test_too_many_groups), cmocka_unit_test(test_resolve_in_rootfs))

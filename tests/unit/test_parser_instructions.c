/*
 * test_parser_instructions.c - layer 2 of the Dockerfile parser
 * (dockerfile_parse): every instruction kind, every flag, RUN --mount and
 * --device values, HEALTHCHECK durations, stages, and the exact error
 * messages BuildKit's instructions package gives for each mistake.
 */
#include "cbtest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dockerfile.h"
#include "xalloc.h"

CB_DEFINE_CLEANUP(struct dockerfile, dockerfile_free)
#define cleanup_df cleanup_fn(dockerfile_free)

static struct dockerfile *df_ok(const char *src)
{
	struct cb_error *err = NULL;
	struct dockerfile *df = dockerfile_parse("Dockerfile", src, strlen(src), &err);

	if (!df)
		fail_msg("unexpected error for:\n%s\n%s", src, cb_error_msg(err));
	assert_null(err);
	return df;
}

/* Parse src expecting "Dockerfile:LINE: msg" with err->line == line. */
static void df_err(const char *src, int line, const char *msg)
{
	struct cb_error *err = NULL;
	struct dockerfile *df = dockerfile_parse("Dockerfile", src, strlen(src), &err);
	cleanup_free char *full = xasprintf("Dockerfile:%d: %s", line, msg);

	if (df) {
		dockerfile_free(df);
		fail_msg("expected error \"%s\" for:\n%s", full, src);
	}
	assert_non_null(err);
	if (strcmp(cb_error_msg(err), full))
		fail_msg("for:\n%s\nexpected: %s\n     got: %s", src, full, cb_error_msg(err));
	assert_int_equal(err->line, line);
	cb_error_free(&err);
}

/* One instruction after "FROM a": its error (line 2) must be msg. */
static void one_err(const char *instr, const char *msg)
{
	cleanup_free char *src = xasprintf("FROM a\n%s\n", instr);

	df_err(src, 2, msg);
}

/* One instruction after "FROM a", parsed; returns the dockerfile (instrs[1] is it). */
static struct dockerfile *one_ok(const char *instr)
{
	cleanup_free char *src = xasprintf("FROM a\n%s\n", instr);

	return df_ok(src);
}

static const struct df_instruction *in_at(const struct dockerfile *df, size_t i)
{
	assert_true(i < df->ninstrs);
	return &df->instrs[i];
}

static void check_vec(const struct cb_strvec *v, const char *const *exp)
{
	size_t n = 0;

	while (exp[n])
		n++;
	if (v->n != n)
		fail_msg("expected %zu strings, got %zu (first: %s)", n, v->n,
			 v->n ? v->v[0] : "-");
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v->v[i], exp[i]);
}

#define VEC(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOVEC ((const char *const[]){NULL})

/* ------------------------------------------------------------------------ */
/* FROM and stages                                                           */
/* ------------------------------------------------------------------------ */

static void test_from_plain(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df = df_ok("FROM alpine:3.19\nRUN true\n");

	assert_int_equal(df->nstages, 1);
	assert_int_equal(df->nmeta_args, 0);
	assert_int_equal(in_at(df, 0)->kind, DF_FROM);
	assert_string_equal(in_at(df, 0)->u.from.base, "alpine:3.19");
	assert_null(in_at(df, 0)->u.from.name);
	assert_null(in_at(df, 0)->u.from.platform);
	assert_int_equal(df->stages[0].from_index, 0);
	assert_int_equal(df->stages[0].first, 1);
	assert_int_equal(df->stages[0].count, 1);
}

static void test_from_platform_and_as(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM --platform=$BUILDPLATFORM golang:1.22 AS Build-1.x_y\n"
		      "from a as b\nFROM a aS c\nFROM a a\xC5\xBF d\n");

	assert_string_equal(in_at(df, 0)->u.from.platform, "$BUILDPLATFORM");
	assert_string_equal(in_at(df, 0)->u.from.base, "golang:1.22");
	/* stage names are lowercased */
	assert_string_equal(in_at(df, 0)->u.from.name, "build-1.x_y");
	assert_string_equal(in_at(df, 1)->u.from.name, "b");
	assert_string_equal(in_at(df, 2)->u.from.name, "c");
	/* strings.EqualFold: U+017F (long s) folds to s */
	assert_string_equal(in_at(df, 3)->u.from.name, "d");
	assert_int_equal(df->nstages, 4);
}

static void test_from_errors(void **state)
{
	(void)state;
	df_err("FROM\n", 1, "FROM requires either one or three arguments");
	df_err("FROM a b\n", 1, "FROM requires either one or three arguments");
	df_err("FROM a is b\n", 1, "FROM requires either one or three arguments");
	df_err("FROM a AS b c\n", 1, "FROM requires either one or three arguments");
	df_err("FROM a AS 1st\n", 1,
	       "invalid name for build stage: \"1st\", name can't start with a number or "
	       "contain symbols");
	df_err("FROM a AS b$c\n", 1,
	       "invalid name for build stage: \"b$c\", name can't start with a number or "
	       "contain symbols");
	df_err("FROM --plaform=linux a\n", 1, "unknown flag: --plaform (did you mean platform?)");
	/* the stage name is checked before the flags */
	df_err("FROM --bogus a AS -x\n", 1,
	       "invalid name for build stage: \"-x\", name can't start with a number or contain "
	       "symbols");
	df_err("FROM --platform=a --platform=b x\n", 1, "duplicate flag specified: --platform");
	df_err("FROM --platform x\n", 1, "missing a value on flag: --platform");
}

static void test_from_comment(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df = df_ok(
		"# builder compiles the code\nFROM a AS builder\n# other text\nFROM b AS final\n");

	assert_string_equal(in_at(df, 0)->u.from.comment, "compiles the code");
	assert_null(in_at(df, 1)->u.from.comment);
}

static void test_stages_and_meta_args(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("ARG V=1\nARG W\nFROM a:$V AS one\nARG V\nRUN x\nFROM one\nCOPY a b\n");

	assert_int_equal(df->nmeta_args, 2);
	assert_int_equal(df->nstages, 2);
	assert_int_equal(df->stages[0].from_index, 2);
	assert_int_equal(df->stages[0].first, 3);
	assert_int_equal(df->stages[0].count, 2);
	assert_int_equal(df->stages[1].from_index, 5);
	assert_int_equal(df->stages[1].count, 1);
	assert_int_equal(in_at(df, 0)->kind, DF_ARG);
	assert_string_equal(in_at(df, 0)->u.kvs.items[0].value, "1");
}

static void test_no_stage_errors(void **state)
{
	(void)state;
	df_err("RUN x\n", 1, "no build stage in current context");
	df_err("ARG A\n\nENV B=1\nFROM x\n", 3, "no build stage in current context");
	df_err("# c\nCOPY a \\\n b\n", 2, "no build stage in current context");
}

static void test_duplicate_stage_names(void **state)
{
	(void)state;
	/* BuildKit lints these (DuplicateStageName, ReservedStageName): warnings */
	cleanup_df struct dockerfile *df =
		df_ok("FROM a AS x\nRUN y\nFROM b AS X\nFROM c AS scratch\n");

	assert_int_equal(df->nstages, 3);
	assert_int_equal(df->ast->nwarnings, 2);
	assert_int_equal(df->ast->warnings[0].line, 3);
	assert_string_equal(df->ast->warnings[0].msg,
			    "Duplicate stage name \"x\", stage names should be unique");
	assert_int_equal(df->ast->warnings[1].line, 4);
	assert_string_equal(df->ast->warnings[1].msg,
			    "Stage name \"scratch\" is reserved and should not be used");
	/* the last stage of a repeated name is the one found */
	assert_ptr_equal(dockerfile_stage_by_name(df, "x"), &df->stages[1]);

	/* unnamed stages never clash */
	cleanup_df struct dockerfile *df2 = df_ok("FROM a\nFROM a\n");
	assert_int_equal(df2->nstages, 2);
	assert_int_equal(df2->ast->nwarnings, 0);
}

static void test_stage_by_name(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a AS Build\nRUN x\nFROM b\nFROM c AS final\nCOPY --from=build a b\n");

	assert_ptr_equal(dockerfile_stage_by_name(df, "build"), &df->stages[0]);
	assert_ptr_equal(dockerfile_stage_by_name(df, "BUILD"), &df->stages[0]);
	assert_ptr_equal(dockerfile_stage_by_name(df, "final"), &df->stages[2]);
	assert_null(dockerfile_stage_by_name(df, "nope"));
	assert_null(dockerfile_stage_by_name(df, ""));
	assert_int_equal(df->stages[2].count, 1);
}

static void test_parse_fragment(void **state)
{
	(void)state;
	struct cb_error *err = NULL;
	static const char src[] = "ARG A\nRUN a\nCOPY b c\nFROM x\nRUN d\n";
	cleanup_df struct dockerfile *df =
		dockerfile_parse_fragment("frag", src, sizeof(src) - 1, &err);

	assert_non_null(df);
	assert_int_equal(df->ninstrs, 5);
	assert_int_equal(df->nstages, 0);
	assert_int_equal(df->nmeta_args, 0);
	assert_int_equal(in_at(df, 1)->kind, DF_RUN);
	/* every instruction is still checked */
	static const char bad[] = "RUN a\nRUN --bogus b\n";
	assert_null(dockerfile_parse_fragment("frag", bad, sizeof(bad) - 1, &err));
	assert_string_equal(cb_error_msg(err), "frag:2: unknown flag: --bogus");
	assert_int_equal(err->line, 2);
	cb_error_free(&err);
}

/* ------------------------------------------------------------------------ */
/* Common instruction fields, kinds and unknown instructions                 */
/* ------------------------------------------------------------------------ */

static void test_kind_names(void **state)
{
	(void)state;
	static const char *const names[] = {
		"ADD",	  "ARG",   "CMD",	  "COPY",  "ENTRYPOINT", "ENV",
		"EXPOSE", "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
		"RUN",	  "SHELL", "STOPSIGNAL",  "USER",  "VOLUME",	 "WORKDIR",
	};

	for (int k = 0; k < DF_KIND_COUNT; k++)
		assert_string_equal(df_kind_name((enum df_kind)k), names[k]);
	assert_null(df_kind_name(DF_KIND_COUNT));
	assert_null(df_kind_name((enum df_kind) - 1));
}

static void test_every_kind_parses(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nADD a b\nARG x\nCMD c\nCOPY a b\nENTRYPOINT e\nENV k=v\nEXPOSE 1\n"
		      "HEALTHCHECK NONE\nLABEL l=v\nMAINTAINER m\nONBUILD RUN o\nRUN r\n"
		      "SHELL [\"s\"]\nSTOPSIGNAL 9\nUSER u\nVOLUME /v\nWORKDIR /w\n");
	static const enum df_kind kinds[] = {
		DF_FROM, DF_ADD,    DF_ARG,	    DF_CMD,   DF_COPY,	     DF_ENTRYPOINT,
		DF_ENV,	 DF_EXPOSE, DF_HEALTHCHECK, DF_LABEL, DF_MAINTAINER, DF_ONBUILD,
		DF_RUN,	 DF_SHELL,  DF_STOPSIGNAL,  DF_USER,  DF_VOLUME,     DF_WORKDIR,
	};

	assert_int_equal(df->ninstrs, sizeof(kinds) / sizeof(kinds[0]));
	for (size_t i = 0; i < df->ninstrs; i++)
		assert_int_equal(df->instrs[i].kind, kinds[i]);
}

static void test_instruction_lines_code_node(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\n\n  RUN   echo \\\n   hi  \nCOPY <<EOF /x\nbody\nEOF\n");

	assert_int_equal(in_at(df, 1)->start_line, 3);
	assert_int_equal(in_at(df, 1)->end_line, 4);
	assert_string_equal(in_at(df, 1)->code, "RUN   echo    hi");
	assert_ptr_equal(in_at(df, 1)->node, df->ast->root->children[1]);
	assert_int_equal(in_at(df, 2)->start_line, 5);
	assert_int_equal(in_at(df, 2)->end_line, 7);
}

static void test_unknown_instruction(void **state)
{
	(void)state;
	one_err("COPPY a b", "unknown instruction: COPPY (did you mean COPY?)");
	one_err("coppy a b", "unknown instruction: coppy (did you mean copy?)");
	one_err("Coppy a b", "unknown instruction: Coppy (did you mean copy?)");
	one_err("RUNN x", "unknown instruction: RUNN (did you mean RUN?)");
	one_err("FOOBAR x", "unknown instruction: FOOBAR");
	one_err("EXPOSEE 80", "unknown instruction: EXPOSEE (did you mean EXPOSE?)");
	df_err("FROM a\n\nWORKDIRR /x\n", 3,
	       "unknown instruction: WORKDIRR (did you mean WORKDIR?)");
}

static void test_instruction_case_folding(void **state)
{
	(void)state;
	/* strings.ToLower maps U+212A KELVIN SIGN to 'k' */
	cleanup_df struct dockerfile *df =
		df_ok("from a\nrUn x\nHEALTHCHEC\xE2\x84\xAA CMD y\nworkdir /w\n");

	assert_int_equal(in_at(df, 1)->kind, DF_RUN);
	assert_int_equal(in_at(df, 2)->kind, DF_HEALTHCHECK);
	assert_string_equal(in_at(df, 2)->u.health.test.v[1], "y");
	assert_int_equal(in_at(df, 3)->kind, DF_WORKDIR);
}

static void test_error_located_at_first_line(void **state)
{
	(void)state;
	/* a JSON "\u0000" cannot reach exec, env or paths: said, not cut off */
	df_err("FROM a\nCMD [\"a\\u0000b\"]\n", 2, "NUL character (\\u0000) in an argument of CMD");
	df_err("FROM a\nONBUILD RUN [\"x\", \"\\u0000\"]\n", 2,
	       "NUL character (\\u0000) in an argument of ONBUILD");
	df_err("FROM a\nRUN \\\n  --mount=from=$X,target=/x \\\n  ls\n", 2,
	       "'from' doesn't support variable expansion, define alias stage instead");
}

/* ------------------------------------------------------------------------ */
/* Flags (BFlags)                                                            */
/* ------------------------------------------------------------------------ */

static void test_flag_errors(void **state)
{
	(void)state;
	one_err("COPY --form=x a b", "unknown flag: --form (did you mean from?)");
	one_err("COPY --Chown=1 a b", "unknown flag: --Chown (did you mean chown?)");
	one_err("COPY --checksum=x a b", "unknown flag: --checksum");
	one_err("COPY --chown=a --chown=b a b", "duplicate flag specified: --chown");
	one_err("COPY --chown a b", "missing a value on flag: --chown");
	one_err("COPY --exclude a b", "missing a value on flag: --exclude");
	one_err("COPY --link= a b", "missing a value on flag: --link");
	one_err("COPY --link=maybe a b", "expecting boolean value for flag --link, not: maybe");
	one_err("COPY --link --link a b", "duplicate flag specified: --link");
	one_err("USER --x app", "unknown flag: --x");
	one_err("ENV --x A=1", "unknown flag: --x");
	one_err("ONBUILD --x RUN a", "unknown flag: --x");
}

static void test_flag_values(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nCOPY --link=TRUE a b\nCOPY --link=False a b\nCOPY --chown= a b\n"
		      "COPY --chown=\"u g\" --chmod='7'55 a b\nCOPY -- --from=x /d\n"
		      "COPY \"--chown=x\" a b\n");

	assert_true(in_at(df, 1)->u.copy.link);
	assert_false(in_at(df, 2)->u.copy.link);
	/* an empty string value is no value */
	assert_null(in_at(df, 3)->u.copy.chown);
	/* quotes are removed from flag words */
	assert_string_equal(in_at(df, 4)->u.copy.chown, "u g");
	assert_string_equal(in_at(df, 4)->u.copy.chmod, "755");
	/* "--" ends the flags */
	check_vec(&in_at(df, 5)->u.copy.sources, VEC("--from=x"));
	assert_null(in_at(df, 5)->u.copy.from);
	/* a word that does not start with "--" ends the flags, even a quoted flag */
	check_vec(&in_at(df, 6)->u.copy.sources, VEC("\"--chown=x\"", "a"));
	assert_null(in_at(df, 6)->u.copy.chown);
}

static void test_flags_ignored_where_buildkit_ignores_them(void **state)
{
	(void)state;
	/* ARG, STOPSIGNAL and HEALTHCHECK NONE never parse their flags */
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nARG --x=1 Y\nSTOPSIGNAL --z SIGTERM\nHEALTHCHECK --bogus NONE\n");

	assert_string_equal(in_at(df, 1)->u.kvs.items[0].key, "Y");
	assert_string_equal(in_at(df, 2)->u.value, "SIGTERM");
	check_vec(&in_at(df, 3)->u.health.test, VEC("NONE"));
}

/* ------------------------------------------------------------------------ */
/* RUN, CMD, ENTRYPOINT, SHELL                                               */
/* ------------------------------------------------------------------------ */

static void test_run_forms(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nRUN echo  \"a b\" && ls\nRUN [\"/bin/sh\", \"-c\", \"x\"]\nRUN\n"
		      "RUN []\n");
	const struct df_run *r1 = &in_at(df, 1)->u.run, *r2 = &in_at(df, 2)->u.run;

	check_vec(&r1->cmdline.args, VEC("echo  \"a b\" && ls"));
	assert_true(r1->cmdline.prepend_shell);
	check_vec(&r2->cmdline.args, VEC("/bin/sh", "-c", "x"));
	assert_false(r2->cmdline.prepend_shell);
	assert_int_equal(r1->network, DF_NET_DEFAULT);
	assert_int_equal(r1->security, DF_SECURITY_SANDBOX);
	assert_int_equal(r1->nmounts, 0);
	/* no words: an empty command line (handleJSONArgs), not one empty string */
	assert_int_equal(in_at(df, 3)->u.run.cmdline.args.n, 0);
	assert_true(in_at(df, 3)->u.run.cmdline.prepend_shell);
	assert_int_equal(in_at(df, 4)->u.run.cmdline.args.n, 0);
	assert_false(in_at(df, 4)->u.run.cmdline.prepend_shell);
}

static void test_run_heredoc_files(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nRUN <<EOF <<-'TABS' python3\nprint(1)\nEOF\n\tx = $Y\n\tTABS\n");
	const struct df_cmdline *c = &in_at(df, 1)->u.run.cmdline;

	check_vec(&c->args, VEC("<<EOF <<-'TABS' python3"));
	assert_int_equal(c->nfiles, 2);
	assert_string_equal(c->files[0].name, "EOF");
	assert_string_equal(c->files[0].data, "print(1)\n");
	assert_false(c->files[0].chomp);
	assert_string_equal(c->files[1].name, "TABS");
	/* RUN keeps the raw body; chomping is the builder's job */
	assert_string_equal(c->files[1].data, "\tx = $Y\n");
	assert_true(c->files[1].chomp);
}

static void test_run_network_security(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nRUN --network=none x\nRUN --network=host --security=insecure x\n"
		      "RUN --network=default --security=sandbox x\n");

	assert_int_equal(in_at(df, 1)->u.run.network, DF_NET_NONE);
	assert_int_equal(in_at(df, 2)->u.run.network, DF_NET_HOST);
	assert_int_equal(in_at(df, 2)->u.run.security, DF_SECURITY_INSECURE);
	assert_int_equal(in_at(df, 3)->u.run.network, DF_NET_DEFAULT);
	assert_int_equal(in_at(df, 3)->u.run.security, DF_SECURITY_SANDBOX);
	one_err("RUN --network=bridge x", "invalid network mode \"bridge\"");
	one_err("RUN --network=None x", "invalid network mode \"None\"");
	one_err("RUN --security=privileged x", "security \"privileged\" is not valid");
	one_err("RUN --netwrok=none x", "unknown flag: --netwrok (did you mean network?)");
	one_err("RUN --mounts=type=cache x", "unknown flag: --mounts (did you mean mount?)");
}

static void test_run_flag_check_order(void **state)
{
	(void)state;
	/* BuildKit's RUN hooks run device, mount, network, security */
	one_err("RUN --network=x --mount=from=$S --device=a,b cmd",
		"invalid field 'b' must be a key=value pair");
	one_err("RUN --security=x --network=y --mount=from=$S cmd",
		"'from' doesn't support variable expansion, define alias stage instead");
	/* a wrong mount value waits for dispatch: the network is the first error */
	one_err("RUN --security=x --network=y --mount=type=nope cmd", "invalid network mode \"y\"");
	one_err("RUN --security=x --network=y cmd", "invalid network mode \"y\"");
}

static void test_run_multiple_mounts_and_devices(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		one_ok("RUN --mount=type=cache,target=/a --mount=type=tmpfs,target=/b "
		       "--device=vendor.com/gpu=0 --device=name=vendor.com/gpu=1,required make");
	const struct df_run *r = &in_at(df, 1)->u.run;

	assert_int_equal(r->nmounts, 2);
	assert_int_equal(r->mounts[0].type, DF_MOUNT_CACHE);
	assert_int_equal(r->mounts[1].type, DF_MOUNT_TMPFS);
	assert_int_equal(r->ndevices, 2);
	assert_string_equal(r->devices[0].name, "vendor.com/gpu=0");
	assert_false(r->devices[0].required);
	assert_string_equal(r->devices[1].name, "vendor.com/gpu=1");
	assert_true(r->devices[1].required);
	check_vec(&r->cmdline.args, VEC("make"));
}

static void test_cmd_entrypoint(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nCMD [\"a\", \"b\"]\nCMD run it\nENTRYPOINT []\nENTRYPOINT [\"x\"]\n"
		      "ENTRYPOINT exec me\nCMD\n");

	check_vec(&in_at(df, 1)->u.cmd.args, VEC("a", "b"));
	assert_false(in_at(df, 1)->u.cmd.prepend_shell);
	check_vec(&in_at(df, 2)->u.cmd.args, VEC("run it"));
	assert_true(in_at(df, 2)->u.cmd.prepend_shell);
	/* ENTRYPOINT [] clears the entrypoint: exec form, no words */
	assert_int_equal(in_at(df, 3)->u.cmd.args.n, 0);
	assert_false(in_at(df, 3)->u.cmd.prepend_shell);
	check_vec(&in_at(df, 4)->u.cmd.args, VEC("x"));
	check_vec(&in_at(df, 5)->u.cmd.args, VEC("exec me"));
	assert_int_equal(in_at(df, 6)->u.cmd.args.n, 0);
	one_err("CMD --x a", "unknown flag: --x");
}

static void test_shell(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		one_ok("SHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]");

	check_vec(&in_at(df, 1)->u.list, VEC("/bin/bash", "-eo", "pipefail", "-c"));
	one_err("SHELL /bin/sh -c", "SHELL requires the arguments to be in JSON form");
	one_err("SHELL []", "SHELL requires at least one argument");
	one_err("SHELL", "SHELL requires at least one argument");
	one_err("SHELL ['sh']", "SHELL requires the arguments to be in JSON form");
}

/* ------------------------------------------------------------------------ */
/* RUN --mount                                                               */
/* ------------------------------------------------------------------------ */

typedef int (*mount_parser)(const char *value, struct df_mount *m, struct cb_error **err);

static void mount_ok_with(mount_parser parse, const char *value, struct df_mount *m)
{
	struct cb_error *err = NULL;

	if (parse(value, m, &err) < 0)
		fail_msg("--mount=%s: %s", value, cb_error_msg(err));
	assert_null(err);
	assert_string_equal(m->raw, value);
}

static void mount_err_with(mount_parser parse, const char *value, const char *msg)
{
	struct cb_error *err = NULL;
	struct df_mount m;

	if (parse(value, &m, &err) == 0) {
		df_mount_release(&m);
		fail_msg("--mount=%s: expected error \"%s\"", value, msg);
	}
	if (strcmp(cb_error_msg(err), msg))
		fail_msg("--mount=%s:\nexpected: %s\n     got: %s", value, msg, cb_error_msg(err));
	cb_error_free(&err);
}

/* The dispatch-time parse (df_mount_parse). */
static void mount_ok(const char *value, struct df_mount *m)
{
	mount_ok_with(df_mount_parse, value, m);
}

static void mount_err(const char *value, const char *msg)
{
	mount_err_with(df_mount_parse, value, msg);
}

/* The parse-time pass (df_mount_parse_deferred). */
static void parsed_ok(const char *value, struct df_mount *m)
{
	mount_ok_with(df_mount_parse_deferred, value, m);
}

static void parsed_err(const char *value, const char *msg)
{
	mount_err_with(df_mount_parse_deferred, value, msg);
}

static void test_mount_bind(void **state)
{
	(void)state;
	struct df_mount m;

	mount_ok("type=bind,source=/src,target=/dst,from=build", &m);
	assert_int_equal(m.type, DF_MOUNT_BIND);
	assert_string_equal(m.source, "/src");
	assert_string_equal(m.target, "/dst");
	assert_string_equal(m.from, "build");
	/* a bind mount is read-only unless told otherwise */
	assert_true(m.readonly);
	assert_int_equal(m.mode, -1);
	assert_int_equal(m.uid, -1);
	assert_int_equal(m.gid, -1);
	assert_int_equal(m.size, 0);
	df_mount_release(&m);
	/* bind is the default type; src/dst/destination are aliases */
	mount_ok("src=a,dst=/b,rw", &m);
	assert_int_equal(m.type, DF_MOUNT_BIND);
	assert_string_equal(m.source, "a");
	assert_string_equal(m.target, "/b");
	assert_false(m.readonly);
	df_mount_release(&m);
	mount_ok("destination=/c,readwrite=true", &m);
	assert_string_equal(m.target, "/c");
	assert_false(m.readonly);
	df_mount_release(&m);
}

static void test_mount_readonly_variants(void **state)
{
	(void)state;
	static const struct {
		const char *v;
		bool ro;
	} cases[] = {
		{"type=cache,target=/x", false},
		{"type=cache,target=/x,ro", true},
		{"type=cache,target=/x,readonly", true},
		{"type=cache,target=/x,ro=true", true},
		{"type=cache,target=/x,ro=1", true},
		{"type=cache,target=/x,ro=F", false},
		{"type=bind,target=/x,readonly=false", false},
		{"type=bind,target=/x,rw=false", true},
		{"type=bind,target=/x,rw=T", false},
		{"type=tmpfs,target=/x", false},
		{"type=secret,id=a", true},
		{"type=ssh", true},
		{"type=bind,target=/x,RO", true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct df_mount m;

		mount_ok(cases[i].v, &m);
		if (m.readonly != cases[i].ro)
			fail_msg("%s: readonly %d, expected %d", cases[i].v, m.readonly,
				 cases[i].ro);
		df_mount_release(&m);
	}
	mount_err("type=cache,target=/x,ro=maybe", "invalid value for ro: maybe");
	mount_err("type=cache,target=/x,readwrite=2", "invalid value for readwrite: 2");
}

static void test_mount_cache(void **state)
{
	(void)state;
	struct df_mount m;

	mount_ok("type=Cache,target=/root/.cache,id=pip,sharing=LOCKED,mode=0755,uid=1000,gid=50,"
		 "from=base,source=/c",
		 &m);
	assert_int_equal(m.type, DF_MOUNT_CACHE);
	assert_string_equal(m.id, "pip");
	assert_int_equal(m.sharing, DF_SHARING_LOCKED);
	assert_int_equal(m.mode, 0755);
	assert_int_equal(m.uid, 1000);
	assert_int_equal(m.gid, 50);
	assert_string_equal(m.from, "base");
	assert_string_equal(m.source, "/c");
	df_mount_release(&m);
	mount_ok("type=cache,target=/x,sharing=private", &m);
	assert_int_equal(m.sharing, DF_SHARING_PRIVATE);
	df_mount_release(&m);
	mount_ok("type=cache,target=/x", &m);
	assert_int_equal(m.sharing, DF_SHARING_SHARED);
	df_mount_release(&m);
}

static void test_mount_sharing_errors(void **state)
{
	(void)state;
	mount_err("type=cache,target=/x,sharing=bogus", "unsupported sharing value \"bogus\"");
	mount_err("type=cache,target=/x,sharing=lockd",
		  "unsupported sharing value \"lockd\" (did you mean locked?)");
	mount_err("type=cache,target=/x,sharing=", "unsupported sharing value \"\"");
	mount_err("type=bind,target=/x,sharing=shared", "invalid cache sharing set for bind mount");
	mount_err("type=tmpfs,target=/x,sharing=locked",
		  "invalid cache sharing set for tmpfs mount");
	mount_err("type=secret,id=a,sharing=shared", "secret mount should not define sharing");
}

static void test_mount_tmpfs_size(void **state)
{
	(void)state;
	static const struct {
		const char *size;
		long long bytes;
	} cases[] = {
		{"100", 100},
		{"64m", 64LL << 20},
		{"1.5g", 3LL << 29},
		{"2KiB", 2048},
		{"3MB", 3LL << 20},
		{"1 k", 1024},
		{"1e3", 1000},
		{".5k", 512},
		{"5.b", 5},
		{"0x1p4", 16},
		{"1T", 1LL << 40},
		{"1_000", 1000},
		{"1pb", 1LL << 50},
		{"7B", 7},
		{"-0", 0},
		{"1e-400", 0},
		{"0x_1p4", 16},
		{"1.5_5", 1},
		{"1e1_0", 10000000000LL},
		{"+5", 5},
		{"1\xE2\x84\xAA", 1024},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_free char *v = xasprintf("type=tmpfs,target=/t,size=%s", cases[i].size);
		struct df_mount m;

		mount_ok(v, &m);
		if (m.size != cases[i].bytes)
			fail_msg("size=%s: %lld, expected %lld", cases[i].size, m.size,
				 cases[i].bytes);
		df_mount_release(&m);
	}
	mount_err("type=tmpfs,target=/t,size=bogus", "invalid value for size: bogus");
	mount_err("type=tmpfs,target=/t,size=-1", "invalid value for size: -1");
	mount_err("type=tmpfs,target=/t,size=1ib", "invalid value for size: 1ib");
	mount_err("type=tmpfs,target=/t,size=1kbb", "invalid value for size: 1kbb");
	mount_err("type=tmpfs,target=/t,size=1.5.5", "invalid value for size: 1.5.5");
	mount_err("type=tmpfs,target=/t,size=0x10", "invalid value for size: 0x10");
	mount_err("type=tmpfs,target=/t,size=", "invalid value for size: ");
	mount_err("type=tmpfs,target=/t,size=1  k", "invalid value for size: 1  k");
	mount_err("type=tmpfs,target=/t,size=1e400", "invalid value for size: 1e400");
	mount_err("type=tmpfs,target=/t,size=1__0", "invalid value for size: 1__0");
	mount_err("type=tmpfs,target=/t,size=1_.5", "invalid value for size: 1_.5");
	mount_err("type=tmpfs,target=/t,size=9e18k", "invalid value for size: 9e18k");
	mount_err("type=bind,target=/t,size=1m", "unexpected key 'size' for mount type 'bind'");
	/* the type must come first */
	mount_err("size=1m,type=tmpfs,target=/t", "unexpected key 'size' for mount type 'bind'");
}

static void test_mount_secret_ssh(void **state)
{
	(void)state;
	struct df_mount m;

	mount_ok("type=secret,id=aws,target=/root/.aws/credentials,required,mode=0400,uid=1,gid=2",
		 &m);
	assert_int_equal(m.type, DF_MOUNT_SECRET);
	assert_true(m.required);
	assert_int_equal(m.mode, 0400);
	df_mount_release(&m);
	mount_ok("type=secret,id=tok,env=TOKEN", &m);
	assert_string_equal(m.env, "TOKEN");
	assert_null(m.target);
	df_mount_release(&m);
	/* an empty source is no source */
	mount_ok("type=secret,source=,id=x", &m);
	assert_null(m.source);
	df_mount_release(&m);
	mount_ok("type=ssh", &m);
	assert_int_equal(m.type, DF_MOUNT_SSH);
	assert_false(m.required);
	df_mount_release(&m);
	mount_ok("type=ssh,id=default,required=true,target=/sock", &m);
	assert_true(m.required);
	assert_string_equal(m.id, "default");
	df_mount_release(&m);
	mount_err("type=secret", "invalid secret mount. one of source, target required");
	/* env alone is not enough */
	mount_err("type=secret,env=X", "invalid secret mount. one of source, target required");
	mount_err("type=secret,source=a,id=b", "both source and id can't be set");
	mount_err("type=secret,id=a,from=b", "secret mount should not have a from");
	mount_err("type=secret,id=a,required=yes", "invalid value for required: yes");
	mount_err("type=bind,target=/x,required",
		  "unexpected key 'required' for mount type 'bind'");
	mount_err("type=cache,target=/x,required=true",
		  "unexpected key 'required' for mount type 'cache'");
	/* keys apply in order: `required` before `type` sees a bind mount */
	mount_err("required,type=secret,id=x", "unexpected key 'required' for mount type 'bind'");
}

static void test_mount_mode_uid_gid(void **state)
{
	(void)state;
	struct df_mount m;

	mount_ok("type=cache,target=/x,mode=755,uid=4294967295,gid=0", &m);
	assert_int_equal(m.mode, 0755);
	assert_int_equal(m.uid, 4294967295LL);
	assert_int_equal(m.gid, 0);
	df_mount_release(&m);
	/* values with variables wait for the builder */
	parsed_ok("type=cache,target=$DIR,uid=$UID,mode=${M}", &m);
	assert_true(m.deferred);
	assert_int_equal(m.uid, -1);
	assert_int_equal(m.mode, -1);
	assert_null(m.target);
	df_mount_release(&m);
	/* even the type and the enum-valued keys (BuildKit checks them after expansion) */
	parsed_ok("type=$T,target=/x,sharing=${S},ro=$RO,size=$Z", &m);
	assert_true(m.deferred);
	df_mount_release(&m);
	/* a wrong key waits too: BuildKit reports it when it dispatches the step */
	parsed_ok("type=cache,target=$X,bogus=1", &m);
	assert_true(m.deferred);
	df_mount_release(&m);
	parsed_ok("type=cache,target=/x,bogus=1", &m);
	assert_true(m.deferred);
	df_mount_release(&m);
	mount_err("type=cache,target=/x,bogus=1", "unexpected key 'bogus' in 'bogus=1'");
	/* a good mount without variables is typed at once */
	parsed_ok("type=cache,target=/x,mode=755", &m);
	assert_false(m.deferred);
	assert_int_equal(m.mode, 0755);
	df_mount_release(&m);
	mount_ok("type=cache,target=/x,mode=755", &m);
	assert_false(m.deferred);
	assert_string_equal(m.raw, "type=cache,target=/x,mode=755");
	df_mount_release(&m);
	mount_err("type=cache,target=/x,mode=8", "invalid value 8 for mode");
	mount_err("type=cache,target=/x,mode=0o755", "invalid value 0o755 for mode");
	mount_err("type=cache,target=/x,mode=+7", "invalid value +7 for mode");
	mount_err("type=cache,target=/x,mode=", "invalid value  for mode");
	mount_err("type=cache,target=/x,mode=40000000000", "invalid value 40000000000 for mode");
	mount_err("type=cache,target=/x,uid=0x10", "invalid value 0x10 for uid");
	mount_err("type=cache,target=/x,uid=-1", "invalid value -1 for uid");
	mount_err("type=cache,target=/x,uid= 1", "invalid value  1 for uid");
	mount_err("type=cache,target=/x,gid=4294967296", "invalid value 4294967296 for gid");
	mount_err("type=bind,target=/x,mode=0755", "mode not allowed for \"bind\" type mounts");
	mount_err("type=tmpfs,target=/x,uid=1", "uid not allowed for \"tmpfs\" type mounts");
	mount_err("type=bind,target=/x,gid=1", "gid not allowed for \"bind\" type mounts");
}

static void test_mount_type_and_key_errors(void **state)
{
	(void)state;
	mount_err("type=cahce,target=/x", "unsupported mount type \"cahce\" (did you mean cache?)");
	mount_err("type=foo,target=/x", "unsupported mount type \"foo\"");
	mount_err("\"type=a\"\"b\"", "unsupported mount type \"a\\\"b\"");
	mount_err("type=cache,target=/x,taget=/y",
		  "unexpected key 'taget' in 'taget=/y' (did you mean target?)");
	mount_err("type=cache,target=/x,bogus=1", "unexpected key 'bogus' in 'bogus=1'");
	mount_err("type=cache,target=/x,Srcc=1",
		  "unexpected key 'srcc' in 'Srcc=1' (did you mean src?)");
	mount_err("type=cache,target=/x,foo", "invalid field 'foo' must be a key=value pair");
	mount_err("type=cache,target=/x,", "invalid field '' must be a key=value pair");
	/* keys are case-insensitive, values are not */
	struct df_mount m;
	mount_ok("TYPE=cache,Target=/X", &m);
	assert_string_equal(m.target, "/X");
	df_mount_release(&m);
}

static void test_mount_from_variable(void **state)
{
	(void)state;
	struct df_mount m;

	parsed_err("type=bind,from=$STAGE,target=/x",
		   "'from' doesn't support variable expansion, define alias stage instead");
	parsed_err("type=bind,FROM=a${B},target=/x",
		   "'from' doesn't support variable expansion, define alias stage instead");
	/* checked at parse time, before any other key */
	parsed_err("type=nope,from=$S", "'from' doesn't support variable expansion, define alias "
					"stage instead");
	/* and bad CSV; nothing else */
	parsed_err("type=bind,target=/a\"b",
		   "failed to parse csv mounts: parse error on line 1, column 20: bare \" in "
		   "non-quoted-field");
	/* a '$' at the very end is not a variable */
	mount_ok("type=bind,from=stage$,target=/x", &m);
	assert_string_equal(m.from, "stage$");
	df_mount_release(&m);
}

static void test_mount_csv(void **state)
{
	(void)state;
	struct df_mount m;

	mount_ok("type=bind,\"target=/a,b\",\"source=x\"\"y\"", &m);
	assert_string_equal(m.target, "/a,b");
	assert_string_equal(m.source, "x\"y");
	df_mount_release(&m);
	mount_ok("target=/x\n", &m);
	assert_string_equal(m.target, "/x");
	df_mount_release(&m);
	mount_err("", "failed to parse csv mounts: EOF");
	mount_err("type=bind,target=/a\"b",
		  "failed to parse csv mounts: parse error on line 1, column 20: bare \" in "
		  "non-quoted-field");
	mount_err("\"target=/x",
		  "failed to parse csv mounts: parse error on line 1, column 2: extraneous or "
		  "missing \" in quoted-field");
	mount_err("\"target=/x\"y,type=bind",
		  "failed to parse csv mounts: parse error on line 1, column 11: extraneous or "
		  "missing \" in quoted-field");
}

static void test_mount_target_required(void **state)
{
	(void)state;
	mount_err("type=cache", "mount target is required for \"cache\" type mounts");
	mount_err("type=bind,source=a", "mount target is required for \"bind\" type mounts");
	mount_err("type=tmpfs,target=", "mount target is required for \"tmpfs\" type mounts");
}

static void test_mount_errors_in_run(void **state)
{
	(void)state;
	/* BuildKit checks mount values when it dispatches the step: they parse */
	cleanup_df struct dockerfile *df = one_ok("RUN --mount=type=foo,target=/x ls");
	const struct df_run *r = &in_at(df, 1)->u.run;

	assert_int_equal(r->nmounts, 1);
	assert_true(r->mounts[0].deferred);
	assert_string_equal(r->mounts[0].raw, "type=foo,target=/x");
	one_err("RUN --mount=type=cache,target=/x --mount=from=$S ls",
		"'from' doesn't support variable expansion, define alias stage instead");
	one_err("RUN --mount=type=bind,target=/a\\\"b ls",
		"failed to parse csv mounts: parse error on line 1, column 20: bare \" in "
		"non-quoted-field");
	one_err("RUN --mount ls", "missing a value on flag: --mount");
}

/* ------------------------------------------------------------------------ */
/* RUN --device                                                              */
/* ------------------------------------------------------------------------ */

static void device_case(const char *value, const char *name, bool required)
{
	struct cb_error *err = NULL;
	struct df_device d;

	if (df_device_parse(value, &d, &err) < 0)
		fail_msg("--device=%s: %s", value, cb_error_msg(err));
	assert_string_equal(d.name, name);
	assert_int_equal(d.required, required);
	df_device_release(&d);
}

static void device_err(const char *value, const char *msg)
{
	struct cb_error *err = NULL;
	struct df_device d;

	if (df_device_parse(value, &d, &err) == 0) {
		df_device_release(&d);
		fail_msg("--device=%s: expected error \"%s\"", value, msg);
	}
	assert_string_equal(cb_error_msg(err), msg);
	cb_error_free(&err);
}

static void test_device(void **state)
{
	(void)state;
	/* BuildKit's TestParseDevice */
	device_case("vendor1.com/device=foo", "vendor1.com/device=foo", false);
	device_case("vendor1.com/device", "vendor1.com/device", false);
	device_case("vendor1.com/device=foo,required", "vendor1.com/device=foo", true);
	device_case("vendor1.com/device=foo,required=true", "vendor1.com/device=foo", true);
	device_case("vendor1.com/device=foo,required=false", "vendor1.com/device=foo", false);
	device_case("name=vendor1.com/device=foo", "vendor1.com/device=foo", false);
	device_case("name=vendor1.com/device=foo,required", "vendor1.com/device=foo", true);
	device_case("required,vendor/x", "vendor/x", true);
	device_case("REQUIRED=1,Name=v/y", "v/y", true);
	device_err("vendor1.com/device=foo,name=vendor2.com/device=bar",
		   "device name already set to vendor1.com/device=foo");
	device_err("a,bogus=1", "unexpected key 'bogus' in 'bogus=1'");
	device_err("a,reqired=1",
		   "unexpected key 'reqired' in 'reqired=1' (did you mean required?)");
	device_err("a,b", "invalid field 'b' must be a key=value pair");
	device_err("a,required=maybe", "invalid value for required: maybe");
	device_err("", "failed to parse csv devices: EOF");
	device_err("a\"b", "failed to parse csv devices: parse error on line 1, column 2: bare \" "
			   "in non-quoted-field");
	/* no name parses (BuildKit fails only when the build needs the device) */
	{
		struct cb_error *err = NULL;
		struct df_device d;

		assert_int_equal(df_device_parse("required", &d, &err), 0);
		assert_true(!d.name || !*d.name);
		assert_true(d.required);
		df_device_release(&d);
		assert_int_equal(df_device_parse(",", &d, &err), 0);
		assert_true(!d.name || !*d.name);
		df_device_release(&d);
	}
}

/* ------------------------------------------------------------------------ */
/* COPY and ADD                                                              */
/* ------------------------------------------------------------------------ */

static void test_copy_all_flags(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		one_ok("COPY --from=build --chown=1000:1000 --chmod=0755 --link --parents "
		       "--exclude=*.md --exclude=.git a b/ /dst/");
	const struct df_copy *c = &in_at(df, 1)->u.copy;

	check_vec(&c->sources, VEC("a", "b/"));
	assert_string_equal(c->dest, "/dst/");
	assert_string_equal(c->from, "build");
	assert_string_equal(c->chown, "1000:1000");
	assert_string_equal(c->chmod, "0755");
	assert_true(c->link);
	assert_true(c->parents);
	check_vec(&c->excludes, VEC("*.md", ".git"));
	assert_null(c->checksum);
	assert_int_equal(c->keep_git_dir, -1);
	assert_int_equal(c->unpack, -1);
	assert_int_equal(c->ncontents, 0);
}

static void test_copy_defaults_and_json(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nCOPY a b\nCOPY [\"a b\", \"c d\", \"/e f\"]\n");
	const struct df_copy *c = &in_at(df, 1)->u.copy;

	assert_null(c->from);
	assert_null(c->chown);
	assert_null(c->chmod);
	assert_false(c->link);
	assert_false(c->parents);
	assert_int_equal(c->excludes.n, 0);
	check_vec(&in_at(df, 2)->u.copy.sources, VEC("a b", "c d"));
	assert_string_equal(in_at(df, 2)->u.copy.dest, "/e f");
}

static void test_copy_add_arg_count(void **state)
{
	(void)state;
	one_err("COPY a", "COPY requires at least two arguments, but only one was provided. "
			  "Destination could not be determined");
	one_err("ADD a", "ADD requires at least two arguments, but only one was provided. "
			 "Destination could not be determined");
	one_err("COPY", "COPY requires at least two arguments, but only one was provided. "
			"Destination could not be determined");
	/* the count is checked before the flags */
	one_err("COPY --bogus a", "COPY requires at least two arguments, but only one was "
				  "provided. Destination could not be determined");
}

static void test_add_all_flags(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nADD --checksum=sha256:abc --keep-git-dir --unpack=false --link "
		      "--exclude=x --chown=1 --chmod=644 https://x/y.tar /d\n"
		      "ADD --unpack a.tar /d\nADD a.tar /d\nADD --keep-git-dir=false git@x:y /d\n");
	const struct df_copy *c = &in_at(df, 1)->u.copy;

	check_vec(&c->sources, VEC("https://x/y.tar"));
	assert_string_equal(c->checksum, "sha256:abc");
	assert_int_equal(c->keep_git_dir, 1);
	assert_int_equal(c->unpack, 0);
	assert_true(c->link);
	check_vec(&c->excludes, VEC("x"));
	assert_string_equal(c->chown, "1");
	assert_string_equal(c->chmod, "644");
	assert_null(c->from);
	assert_int_equal(in_at(df, 2)->u.copy.unpack, 1);
	assert_int_equal(in_at(df, 3)->u.copy.unpack, -1);
	assert_int_equal(in_at(df, 3)->u.copy.keep_git_dir, -1);
	assert_int_equal(in_at(df, 4)->u.copy.keep_git_dir, 0);
	one_err("ADD --from=x a b", "unknown flag: --from");
	one_err("ADD --parents a b", "unknown flag: --parents");
	one_err("COPY --unpack a b", "unknown flag: --unpack");
	one_err("ADD --unpack=yes a b", "expecting boolean value for flag --unpack, not: yes");
}

static void test_copy_heredoc_sources(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nCOPY <<EOF <<-TABS plain /dest/\nhello $X\nEOF\n\t\tindented\n"
		      "\tline2\n\tTABS\nCOPY <<'Q' /q\n$Y\nQ\nADD <<EOF /a\n\tkeep tabs\nEOF\n");
	const struct df_copy *c = &in_at(df, 1)->u.copy;

	check_vec(&c->sources, VEC("plain"));
	assert_string_equal(c->dest, "/dest/");
	assert_int_equal(c->ncontents, 2);
	assert_string_equal(c->contents[0].path, "EOF");
	assert_string_equal(c->contents[0].data, "hello $X\n");
	assert_true(c->contents[0].expand);
	/* <<- strips leading tabs from every line of the content */
	assert_string_equal(c->contents[1].path, "TABS");
	assert_string_equal(c->contents[1].data, "indented\nline2\n");
	assert_false(in_at(df, 2)->u.copy.contents[0].expand);
	assert_string_equal(in_at(df, 2)->u.copy.contents[0].data, "$Y\n");
	assert_string_equal(in_at(df, 3)->u.copy.contents[0].data, "\tkeep tabs\n");
}

static void test_copy_heredoc_same_name(void **state)
{
	(void)state;
	/* BuildKit looks bodies up by name: the last body of a name wins */
	cleanup_df struct dockerfile *df = one_ok("COPY <<A <<A /d\n1\nA\n2\nA");
	const struct df_copy *c = &in_at(df, 1)->u.copy;

	assert_int_equal(c->ncontents, 2);
	assert_string_equal(c->contents[0].data, "2\n");
	assert_string_equal(c->contents[1].data, "2\n");
}

static void test_copy_heredoc_destination(void **state)
{
	(void)state;
	one_err("COPY a <<EOF\nx\nEOF", "COPY cannot accept a heredoc as a destination");
	one_err("ADD a <<-EOF\nEOF", "ADD cannot accept a heredoc as a destination");
	one_err("COPY [\"a\", \"<<EOF\"]", "COPY cannot accept a heredoc as a destination");
}

static void test_copy_bad_heredoc_word_is_a_path(void **state)
{
	(void)state;
	/* MustParseHeredoc drops the delimiter's lexing error: the word is a path */
	cleanup_df struct dockerfile *df = one_ok("COPY <<'EOF /dst");
	const struct df_copy *c = &in_at(df, 1)->u.copy;

	check_vec(&c->sources, VEC("<<'EOF"));
	assert_string_equal(c->dest, "/dst");
	assert_int_equal(c->ncontents, 0);
	cleanup_df struct dockerfile *d2 = one_ok("COPY a <<\"X");
	assert_string_equal(in_at(d2, 1)->u.copy.dest, "<<\"X");
}

/* ------------------------------------------------------------------------ */
/* HEALTHCHECK and durations                                                 */
/* ------------------------------------------------------------------------ */

static void test_healthcheck_full(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		one_ok("HEALTHCHECK --interval=1m30s --timeout=1.5s --start-period=2h "
		       "--start-interval=500ms --retries=3 CMD curl -f http://x/ || exit 1");
	const struct df_healthcheck *h = &in_at(df, 1)->u.health;

	check_vec(&h->test, VEC("CMD-SHELL", "curl -f http://x/ || exit 1"));
	assert_int_equal(h->interval_ns, 90000000000LL);
	assert_int_equal(h->timeout_ns, 1500000000LL);
	assert_int_equal(h->start_period_ns, 7200000000000LL);
	assert_int_equal(h->start_interval_ns, 500000000LL);
	assert_int_equal(h->retries, 3);
}

static void test_healthcheck_forms(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nHEALTHCHECK CMD [\"curl\", \"-f\", \"x\"]\nHEALTHCHECK NONE\n"
		      "HEALTHCHECK none\nHEALTHCHECK cmd true\nHEALTHCHECK --retries=+5 CMD x\n"
		      "HEALTHCHECK --timeout=0s --interval=0 CMD x\n");

	check_vec(&in_at(df, 1)->u.health.test, VEC("CMD", "curl", "-f", "x"));
	check_vec(&in_at(df, 2)->u.health.test, VEC("NONE"));
	check_vec(&in_at(df, 3)->u.health.test, VEC("NONE"));
	check_vec(&in_at(df, 4)->u.health.test, VEC("CMD-SHELL", "true"));
	assert_int_equal(in_at(df, 4)->u.health.interval_ns, 0);
	assert_int_equal(in_at(df, 4)->u.health.retries, 0);
	assert_int_equal(in_at(df, 5)->u.health.retries, 5);
	assert_int_equal(in_at(df, 6)->u.health.timeout_ns, 0);
}

static void test_healthcheck_errors(void **state)
{
	(void)state;
	one_err("HEALTHCHECK", "HEALTHCHECK requires at least one argument");
	one_err("HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments");
	one_err("HEALTHCHECK FOO x", "Unknown type \"FOO\" in HEALTHCHECK (try CMD)");
	one_err("HEALTHCHECK foo x", "Unknown type \"FOO\" in HEALTHCHECK (try CMD)");
	/* the type is uppercased as strings.ToUpper does, rune by rune */
	one_err("HEALTHCHECK \xC3\xB1one x",
		"Unknown type \"\xC3\x91ONE\" in HEALTHCHECK (try CMD)");
	one_err("HEALTHCHECK \xC7\x86md x", "Unknown type \"\xC7\x84MD\" in HEALTHCHECK (try CMD)");
	one_err("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD");
	one_err("HEALTHCHECK CMD []", "Missing command after HEALTHCHECK CMD");
	one_err("HEALTHCHECK --intervall=1s CMD x",
		"unknown flag: --intervall (did you mean interval?)");
	one_err("HEALTHCHECK --interval=5 CMD x", "time: missing unit in duration \"5\"");
	one_err("HEALTHCHECK --interval=5x CMD x", "time: unknown unit \"x\" in duration \"5x\"");
	one_err("HEALTHCHECK --timeout=abc CMD x", "time: invalid duration \"abc\"");
	one_err("HEALTHCHECK --interval=100us CMD x",
		"Interval \"interval\" cannot be less than 1ms");
	one_err("HEALTHCHECK --start-period=-1s CMD x",
		"Interval \"start-period\" cannot be less than 1ms");
	one_err("HEALTHCHECK --start-interval=999us CMD x",
		"Interval \"start-interval\" cannot be less than 1ms");
	one_err("HEALTHCHECK --retries=-1 CMD x", "--retries cannot be negative (-1)");
	one_err("HEALTHCHECK --retries=abc CMD x",
		"strconv.ParseInt: parsing \"abc\": invalid syntax");
	one_err("HEALTHCHECK --retries=99999999999 CMD x",
		"strconv.ParseInt: parsing \"99999999999\": value out of range");
	one_err("HEALTHCHECK --retries=2147483648 CMD x",
		"strconv.ParseInt: parsing \"2147483648\": value out of range");
	one_err("HEALTHCHECK --retries=\" 5\" CMD x",
		"strconv.ParseInt: parsing \" 5\": invalid syntax");
	one_err("HEALTHCHECK --retries=1.5 CMD x",
		"strconv.ParseInt: parsing \"1.5\": invalid syntax");
	/* intervals are checked before retries, in flag order */
	one_err("HEALTHCHECK --retries=x --timeout=bad --interval=1 CMD x",
		"time: missing unit in duration \"1\"");
	/* the type is checked after the flags */
	one_err("HEALTHCHECK --bogus FOO x", "unknown flag: --bogus");
}

static void duration_case(const char *s, int64_t ns)
{
	struct cb_error *err = NULL;
	int64_t got = 12345;

	if (df_parse_duration(s, &got, &err) < 0)
		fail_msg("%s: %s", s, cb_error_msg(err));
	if (got != ns)
		fail_msg("%s: %lld, expected %lld", s, (long long)got, (long long)ns);
}

static void duration_err(const char *s, const char *msg)
{
	struct cb_error *err = NULL;
	int64_t got = 777;

	if (df_parse_duration(s, &got, &err) == 0)
		fail_msg("%s: expected error, got %lld", s, (long long)got);
	assert_string_equal(cb_error_msg(err), msg);
	/* a failure leaves the out-parameter alone */
	assert_int_equal(got, 777);
	cb_error_free(&err);
}

static void test_durations(void **state)
{
	(void)state;
	/* expectations from Go's time.ParseDuration */
	duration_case("1m30s", 90000000000LL);
	duration_case("1.5s", 1500000000LL);
	duration_case("300ms", 300000000LL);
	duration_case("-1.5h", -5400000000000LL);
	duration_case("+2m", 120000000000LL);
	duration_case("1h2m3s4ms5us6ns", 3723004005006LL);
	duration_case("1\xC2\xB5s", 1000);
	duration_case("1\xCE\xBCs", 1000);
	duration_case(".5s", 500000000LL);
	duration_case("5.s", 5000000000LL);
	duration_case("0", 0);
	duration_case("-0", 0);
	duration_case("+0", 0);
	duration_case("0s", 0);
	duration_case("1.0000000001h", 3600000000360LL);
	duration_case("0.1234567890123456789s", 123456789);
	duration_case("9223372036854775807ns", INT64_MAX);
	duration_case("-9223372036854775808ns", INT64_MIN);
	duration_case("2562047h47m16.854775807s", INT64_MAX);
	/* Go's uint64 sum wraps here, and so do we */
	duration_case("-9223372036854775808ns9223372036854775808ns", 0);
	duration_err("", "time: invalid duration \"\"");
	duration_err("-", "time: invalid duration \"-\"");
	duration_err(".", "time: invalid duration \".\"");
	duration_err(".s", "time: invalid duration \".s\"");
	duration_err("s", "time: invalid duration \"s\"");
	duration_err("1", "time: missing unit in duration \"1\"");
	duration_err("1s2", "time: missing unit in duration \"1s2\"");
	duration_err("1x", "time: unknown unit \"x\" in duration \"1x\"");
	duration_err("1e3s", "time: unknown unit \"e\" in duration \"1e3s\"");
	duration_err("1S", "time: unknown unit \"S\" in duration \"1S\"");
	duration_err("1\xC2\xB5x",
		     "time: unknown unit \"\\xc2\\xb5x\" in duration \"1\\xc2\\xb5x\"");
	duration_err("1\"s", "time: unknown unit \"\\\"s\" in duration \"1\\\"s\"");
	duration_err("1..5s", "time: missing unit in duration \"1..5s\"");
	duration_err("--1s", "time: invalid duration \"--1s\"");
	duration_err(" 1s", "time: invalid duration \" 1s\"");
	duration_err("9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\"");
	duration_err("2562048h", "time: invalid duration \"2562048h\"");
	duration_err("99999999999999999999s", "time: invalid duration \"99999999999999999999s\"");
}

/* ------------------------------------------------------------------------ */
/* ONBUILD                                                                   */
/* ------------------------------------------------------------------------ */

static void test_onbuild(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nONBUILD RUN echo hi\n  onbuild   COPY --link a b\n"
		      "ONBUILD RUN <<EOF\necho x\nEOF\nONBUILD FOO bar\n");

	assert_string_equal(in_at(df, 1)->u.value, "RUN echo hi");
	assert_string_equal(in_at(df, 2)->u.value, "COPY --link a b");
	/* heredoc bodies follow the expression, each ending with its name */
	assert_string_equal(in_at(df, 3)->u.value, "RUN <<EOF\necho x\nEOF");
	/* the trigger is not validated until it runs */
	assert_string_equal(in_at(df, 4)->u.value, "FOO bar");
}

static void test_onbuild_forbidden(void **state)
{
	(void)state;
	one_err("ONBUILD", "ONBUILD requires at least one argument");
	one_err("ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	one_err("ONBUILD onbuild RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	one_err("ONBUILD FROM a", "FROM isn't allowed as an ONBUILD trigger");
	one_err("onbuild from a", "FROM isn't allowed as an ONBUILD trigger");
	one_err("ONBUILD MAINTAINER me", "MAINTAINER isn't allowed as an ONBUILD trigger");
	/* strings.ToUpper: U+0131 (dotless i) uppercases to I */
	one_err("ONBUILD MA\xC4\xB1NTA\xC4\xB1NER me",
		"MAINTAINER isn't allowed as an ONBUILD trigger");
}

/* ------------------------------------------------------------------------ */
/* ENV, LABEL, ARG                                                           */
/* ------------------------------------------------------------------------ */

static void test_env_label(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nENV A=1 B=\"x y\" C=\nENV D hello  world\nLABEL k=v \"q r\"=s\n"
		      "LABEL version 1.0\n");
	const struct df_instruction *e1 = in_at(df, 1), *e2 = in_at(df, 2);

	assert_int_equal(e1->u.kvs.n, 3);
	assert_string_equal(e1->u.kvs.items[0].key, "A");
	assert_string_equal(e1->u.kvs.items[0].value, "1");
	/* quotes stay: they are removed when the value is expanded */
	assert_string_equal(e1->u.kvs.items[1].value, "\"x y\"");
	assert_string_equal(e1->u.kvs.items[2].value, "");
	assert_int_equal(e2->u.kvs.n, 1);
	assert_string_equal(e2->u.kvs.items[0].key, "D");
	assert_string_equal(e2->u.kvs.items[0].value, "hello  world");
	assert_string_equal(in_at(df, 3)->u.kvs.items[1].key, "\"q r\"");
	assert_string_equal(in_at(df, 3)->u.kvs.items[1].value, "s");
	assert_string_equal(in_at(df, 4)->u.kvs.items[0].value, "1.0");
}

static void test_env_label_errors(void **state)
{
	(void)state;
	one_err("ENV", "ENV requires at least one argument");
	one_err("LABEL", "LABEL requires at least one argument");
	one_err("ENV =x", "ENV names can not be blank");
	one_err("LABEL a=1 =b", "LABEL names can not be blank");
	one_err("ENV A", "ENV must have two arguments");
	one_err("ENV A=1 B",
		"Syntax error - can't find = in \"B\". Must be of the form: name=value");
}

static void test_arg(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\n# A the first arg\n# B other\nARG A B=2 C= D=\"x y\"\nARG E\n");
	const struct df_instruction *a = in_at(df, 1);

	assert_int_equal(a->u.kvs.n, 4);
	assert_string_equal(a->u.kvs.items[0].key, "A");
	assert_null(a->u.kvs.items[0].value);
	assert_string_equal(a->u.kvs.items[0].comment, "the first arg");
	assert_string_equal(a->u.kvs.items[1].key, "B");
	assert_string_equal(a->u.kvs.items[1].value, "2");
	assert_string_equal(a->u.kvs.items[1].comment, "other");
	assert_string_equal(a->u.kvs.items[2].value, "");
	assert_null(a->u.kvs.items[2].comment);
	assert_string_equal(a->u.kvs.items[3].value, "\"x y\"");
	assert_null(in_at(df, 2)->u.kvs.items[0].comment);
	one_err("ARG", "ARG requires at least one argument");
	one_err("ARG =x", "ARG names can not be blank");
}

/* ------------------------------------------------------------------------ */
/* EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, MAINTAINER                     */
/* ------------------------------------------------------------------------ */

static void test_expose(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df = one_ok("EXPOSE 8080 80/tcp 443 53/udp");

	/* sort.Strings: byte order */
	check_vec(&in_at(df, 1)->u.list, VEC("443", "53/udp", "80/tcp", "8080"));
	one_err("EXPOSE", "EXPOSE requires at least one argument");
	one_err("EXPOSE --x 80", "unknown flag: --x");
}

static void test_volume(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df =
		df_ok("FROM a\nVOLUME [\"/a\", \" /b c \"]\nVOLUME /x /y\n");

	check_vec(&in_at(df, 1)->u.list, VEC("/a", "/b c"));
	check_vec(&in_at(df, 2)->u.list, VEC("/x", "/y"));
	one_err("VOLUME [\"/a\", \" \"]", "VOLUME specified can not be an empty string");
	one_err("VOLUME", "VOLUME requires at least one argument");
	one_err("VOLUME []", "VOLUME requires at least one argument");
}

static void test_single_argument_instructions(void **state)
{
	(void)state;
	cleanup_df struct dockerfile *df = df_ok(
		"FROM a\nUSER app:grp\nWORKDIR /a b\nSTOPSIGNAL SIGKILL\nMAINTAINER Me <m@x>\n");

	assert_string_equal(in_at(df, 1)->u.value, "app:grp");
	/* parseString: the whole rest is the one argument */
	assert_string_equal(in_at(df, 2)->u.value, "/a b");
	assert_string_equal(in_at(df, 3)->u.value, "SIGKILL");
	assert_string_equal(in_at(df, 4)->u.value, "Me <m@x>");
	one_err("USER", "USER requires exactly one argument");
	one_err("WORKDIR", "WORKDIR requires exactly one argument");
	one_err("STOPSIGNAL", "STOPSIGNAL requires exactly one argument");
	one_err("MAINTAINER", "MAINTAINER requires exactly one argument");
	/* the count is checked before the flags */
	one_err("MAINTAINER --x", "MAINTAINER requires exactly one argument");
	one_err("WORKDIR --x /w", "unknown flag: --x");
}

CB_TEST_MAIN(
	cmocka_unit_test(test_from_plain), cmocka_unit_test(test_from_platform_and_as),
	cmocka_unit_test(test_from_errors), cmocka_unit_test(test_from_comment),
	cmocka_unit_test(test_stages_and_meta_args), cmocka_unit_test(test_no_stage_errors),
	cmocka_unit_test(test_duplicate_stage_names), cmocka_unit_test(test_stage_by_name),
	cmocka_unit_test(test_parse_fragment), cmocka_unit_test(test_kind_names),
	cmocka_unit_test(test_every_kind_parses),
	cmocka_unit_test(test_instruction_lines_code_node),
	cmocka_unit_test(test_unknown_instruction), cmocka_unit_test(test_instruction_case_folding),
	cmocka_unit_test(test_error_located_at_first_line), cmocka_unit_test(test_flag_errors),
	cmocka_unit_test(test_flag_values),
	cmocka_unit_test(test_flags_ignored_where_buildkit_ignores_them),
	cmocka_unit_test(test_run_forms), cmocka_unit_test(test_run_heredoc_files),
	cmocka_unit_test(test_run_network_security), cmocka_unit_test(test_run_flag_check_order),
	cmocka_unit_test(test_run_multiple_mounts_and_devices),
	cmocka_unit_test(test_cmd_entrypoint), cmocka_unit_test(test_shell),
	cmocka_unit_test(test_mount_bind), cmocka_unit_test(test_mount_readonly_variants),
	cmocka_unit_test(test_mount_cache), cmocka_unit_test(test_mount_sharing_errors),
	cmocka_unit_test(test_mount_tmpfs_size), cmocka_unit_test(test_mount_secret_ssh),
	cmocka_unit_test(test_mount_mode_uid_gid), cmocka_unit_test(test_mount_type_and_key_errors),
	cmocka_unit_test(test_mount_from_variable), cmocka_unit_test(test_mount_csv),
	cmocka_unit_test(test_mount_target_required), cmocka_unit_test(test_mount_errors_in_run),
	cmocka_unit_test(test_device), cmocka_unit_test(test_copy_all_flags),
	cmocka_unit_test(test_copy_defaults_and_json), cmocka_unit_test(test_copy_add_arg_count),
	cmocka_unit_test(test_add_all_flags), cmocka_unit_test(test_copy_heredoc_sources),
	cmocka_unit_test(test_copy_heredoc_same_name),
	cmocka_unit_test(test_copy_heredoc_destination),
	cmocka_unit_test(test_copy_bad_heredoc_word_is_a_path),
	cmocka_unit_test(test_healthcheck_full), cmocka_unit_test(test_healthcheck_forms),
	cmocka_unit_test(test_healthcheck_errors), cmocka_unit_test(test_durations),
	cmocka_unit_test(test_onbuild), cmocka_unit_test(test_onbuild_forbidden),
	cmocka_unit_test(test_env_label), cmocka_unit_test(test_env_label_errors),
	cmocka_unit_test(test_arg), cmocka_unit_test(test_expose), cmocka_unit_test(test_volume),
	cmocka_unit_test(test_single_argument_instructions))

/*
 * stages.c - the whole-file layer of dockerfile_parse(): every AST node
 * through df_instruction_parse() (instructions.c), then the instructions
 * grouped into stages as BuildKit's instructions.Parse does, with its
 * stage-name lint warnings; and the release of everything a struct
 * dockerfile owns.
 */
#include <string.h>
#include <strings.h>

#include "parser-internal.h"
#include "xalloc.h"

static void cmdline_release(struct df_cmdline *c)
{
	cb_strvec_clear(&c->args);
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].name);
		free(c->files[i].data);
	}
	free(c->files);
}

static void copy_release(struct df_copy *c)
{
	cb_strvec_clear(&c->sources);
	for (size_t i = 0; i < c->ncontents; i++) {
		free(c->contents[i].path);
		free(c->contents[i].data);
	}
	free(c->contents);
	free(c->dest);
	free(c->from);
	free(c->chown);
	free(c->chmod);
	free(c->checksum);
	cb_strvec_clear(&c->excludes);
}

void df_instruction_release(struct df_instruction *in)
{
	switch (in->kind) {
	case DF_RUN:
		cmdline_release(&in->u.run.cmdline);
		for (size_t i = 0; i < in->u.run.nmounts; i++)
			df_mount_release(&in->u.run.mounts[i]);
		free(in->u.run.mounts);
		for (size_t i = 0; i < in->u.run.ndevices; i++)
			df_device_release(&in->u.run.devices[i]);
		free(in->u.run.devices);
		break;
	case DF_CMD:
	case DF_ENTRYPOINT:
		cmdline_release(&in->u.cmd);
		break;
	case DF_ADD:
	case DF_COPY:
		copy_release(&in->u.copy);
		break;
	case DF_FROM:
		free(in->u.from.base);
		free(in->u.from.name);
		free(in->u.from.platform);
		free(in->u.from.comment);
		break;
	case DF_HEALTHCHECK:
		cb_strvec_clear(&in->u.health.test);
		break;
	case DF_ENV:
	case DF_LABEL:
	case DF_ARG:
		for (size_t i = 0; i < in->u.kvs.n; i++) {
			free(in->u.kvs.items[i].key);
			free(in->u.kvs.items[i].value);
			free(in->u.kvs.items[i].comment);
		}
		free(in->u.kvs.items);
		break;
	case DF_EXPOSE:
	case DF_VOLUME:
	case DF_SHELL:
		cb_strvec_clear(&in->u.list);
		break;
	case DF_MAINTAINER:
	case DF_ONBUILD:
	case DF_STOPSIGNAL:
	case DF_USER:
	case DF_WORKDIR:
		free(in->u.value);
		break;
	case DF_KIND_COUNT:
		break;
	}
	free(in->code);
	memset(in, 0, sizeof(*in));
}

static int located(const char *name, int line, struct cb_error **err)
{
	cb_error_wrap(err, "%s:%d", name, line);
	(*err)->line = line;
	return -1;
}

static void warn(struct df_ast *ast, int line, char *msg)
{
	ast->warnings = xrealloc(ast->warnings, (ast->nwarnings + 1) * sizeof(*ast->warnings));
	ast->warnings[ast->nwarnings].line = line;
	ast->warnings[ast->nwarnings].msg = msg;
	ast->nwarnings++;
}

/*
 * BuildKit's stage-name checks are lint warnings, not errors: a repeated
 * name (the last stage of that name is the one --from finds) and the
 * reserved names `context` and `scratch`.
 */
static void check_stage_name(struct dockerfile *df, const struct df_instruction *in)
{
	const char *sname = in->u.from.name;

	if (!sname)
		return;
	if (!strcmp(sname, "context") || !strcmp(sname, "scratch"))
		warn(df->ast, in->start_line,
		     xasprintf("Stage name \"%s\" is reserved and should not be used", sname));
	if (dockerfile_stage_by_name(df, sname))
		warn(df->ast, in->start_line,
		     xasprintf("Duplicate stage name \"%s\", stage names should be unique", sname));
}

/* Group instructions into stages; ARGs before the first FROM are meta args. */
static int build_stages(struct dockerfile *df, const char *name, struct cb_error **err)
{
	for (size_t i = 0; i < df->ninstrs; i++) {
		const struct df_instruction *in = &df->instrs[i];
		struct df_stage *st;

		if (in->kind == DF_FROM) {
			check_stage_name(df, in);
			df->stages = xrealloc(df->stages, (df->nstages + 1) * sizeof(*df->stages));
			st = &df->stages[df->nstages++];
			st->from_index = i;
			st->first = i + 1;
			st->count = 0;
			continue;
		}
		if (!df->nstages) {
			if (in->kind == DF_ARG) {
				df->nmeta_args++;
				continue;
			}
			cb_error_set(err, 0, "no build stage in current context");
			return located(name, in->start_line, err);
		}
		df->stages[df->nstages - 1].count++;
	}
	return 0;
}

static struct dockerfile *parse(const char *name, const char *buf, size_t len, bool stages,
				struct cb_error **err)
{
	struct dockerfile *df = xcalloc(1, sizeof(*df));
	const struct df_node *root;

	df->ast = df_parse_ast(name, buf, len, err);
	if (!df->ast)
		goto fail;
	root = df->ast->root;
	df->instrs = xcalloc(root->nchildren, sizeof(*df->instrs));
	for (size_t i = 0, from = 0; i < root->nchildren; i++) {
		const struct df_instruction *in = &df->instrs[i];

		if (df_instruction_parse(root->children[i], &df->instrs[i], err) < 0) {
			located(name, root->children[i]->start_line, err);
			goto fail;
		}
		df->ninstrs++;
		/*
		 * BuildKit checks for a stage as it goes, so a command before
		 * any FROM is the error even when a later line is worse.
		 */
		from += in->kind == DF_FROM;
		if (stages && !from && in->kind != DF_ARG) {
			cb_error_set(err, 0, "no build stage in current context");
			located(name, in->start_line, err);
			goto fail;
		}
	}
	if (stages && build_stages(df, name, err) < 0)
		goto fail;
	return df;
fail:
	dockerfile_free(df);
	return NULL;
}

struct dockerfile *dockerfile_parse(const char *name, const char *buf, size_t len,
				    struct cb_error **err)
{
	return parse(name, buf, len, true, err);
}

struct dockerfile *dockerfile_parse_fragment(const char *name, const char *buf, size_t len,
					     struct cb_error **err)
{
	return parse(name, buf, len, false, err);
}

void dockerfile_free(struct dockerfile *df)
{
	if (!df)
		return;
	for (size_t i = 0; i < df->ninstrs; i++)
		df_instruction_release(&df->instrs[i]);
	free(df->instrs);
	free(df->stages);
	df_ast_free(df->ast);
	free(df);
}

const struct df_stage *dockerfile_stage_by_name(const struct dockerfile *df, const char *name)
{
	/* the last stage of a repeated name wins, as in BuildKit's stage map */
	for (size_t i = df->nstages; i-- > 0;) {
		const char *s = df->instrs[df->stages[i].from_index].u.from.name;

		if (s && !strcasecmp(s, name))
			return &df->stages[i];
	}
	return NULL;
}

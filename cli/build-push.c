/*
 * build-push.c - what `cbuild build` sends to registries: `--push` (each
 * -t name) and BuildKit's image exporter, `-o type=registry,name=REF` (=
 * `type=image,push=true`) and `-o type=image,name=REF[,push=true]`.
 *
 * An --output value is read as buildx reads it, with Go's encoding/csv:
 * fields separated by commas, a field in double quotes may hold commas
 * (`"name=reg/a:1,reg/b:1"`, BuildKit's list of names) and "" is a quote.
 * Of the image exporter's keys cbuild takes name= (one or more names) and
 * push=; the others (push-by-digest, registry.insecure, compression,
 * oci-mediatypes, unpack, store, annotation.*, ...) are refused by name,
 * never ignored.  The image is in the store before anything is pushed;
 * a push that fails makes the build exit 1 with the image kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "layerstore.h"
#include "registry.h"
#include "xalloc.h"

int cli_csv_split(const char *s, struct cb_strvec *out, struct cb_error **err)
{
	struct cb_strvec fields = CB_STRVEC_INIT;
	struct cb_strbuf f = CB_STRBUF_INIT;

	for (const char *p = s;;) {
		cb_strbuf_reset(&f);
		if (*p == '"') {
			for (p++;; p++) {
				if (!*p) {
					cb_strbuf_release(&f);
					cb_strvec_clear(&fields);
					return cb_error_set(err, EINVAL,
							    "`%s`: a quote is not closed", s);
				}
				if (*p == '"' && p[1] != '"')
					break;
				if (*p == '"')
					p++;
				cb_strbuf_addch(&f, *p);
			}
			p++;
			if (*p && *p != ',') {
				cb_strbuf_release(&f);
				cb_strvec_clear(&fields);
				return cb_error_set(err, EINVAL, "`%s`: text after a closing quote",
						    s);
			}
		} else {
			size_t n = strcspn(p, ",");

			cb_strbuf_add(&f, p, n);
			p += n;
		}
		cb_strvec_push(&fields, f.buf ? f.buf : "");
		if (!*p)
			break;
		p++; /* the comma */
	}
	cb_strbuf_release(&f);
	for (size_t i = 0; i < fields.n; i++)
		cb_strvec_push(out, fields.v[i]);
	cb_strvec_clear(&fields);
	return 0;
}

static int parse_bool(const char *key, const char *v, bool *out, struct cb_error **err)
{
	if (!strcmp(v, "true") || !strcmp(v, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0")) {
		*out = false;
		return 0;
	}
	return cb_error_set(err, EINVAL, "%s=`%s`: want true or false", key, v);
}

/* name=a,b: each normalised, appended to names (duplicates dropped). */
static int add_names(const char *list, struct cb_strvec *names, struct cb_error **err)
{
	cleanup_free char *s = xstrdup(list);
	char *save = NULL;

	for (char *n = strtok_r(s, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
		char *norm = cli_store_normalize(n, err);

		if (!norm)
			return cb_error_wrap(err, "name");
		if (cb_strvec_find(names, norm) >= 0)
			free(norm);
		else
			cb_strvec_push_take(names, norm);
	}
	return 0;
}

int build_image_output_option(const char *kv, struct cb_strvec *names, bool *push,
			      struct cb_error **err)
{
	const char *eq = strchr(kv, '=');
	cleanup_free char *key = xstrndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));
	const char *v = eq ? eq + 1 : "";

	if (!strcmp(key, "name"))
		return add_names(v, names, err);
	if (!strcmp(key, "push"))
		return parse_bool(key, eq ? v : "true", push, err);
	return cb_error_set(err, ENOTSUP,
			    "`%s` is not supported (the image exporter takes name= and push=)",
			    key);
}

int build_push_image(struct layer_store *s, const struct cb_digest *manifest, const char *dest,
		     const struct registry_push_opts *opts, FILE *out, bool tty,
		     struct cb_error **err)
{
	struct registry_push_opts o = {0};
	struct registry_push_result res;
	struct cli_progress *prog = NULL;
	cleanup_free char *prefix = xasprintf("push %s: ", dest);
	struct store_image img;
	int ret;

	if (opts)
		o = *opts;
	o.report = NULL;
	o.progress = NULL;
	if (out) {
		prog = cli_progress_new(out, tty, "Pushing", "Pushed", prefix);
		o.report = cli_progress_report;
		o.progress = cli_progress_bytes;
		o.ctx = prog;
	}
	if (layer_store_image_get(s, manifest->str, &img, err) < 0) {
		cli_progress_free(prog);
		return cb_error_wrap(err, "push `%s`", dest);
	}
	ret = registry_push(s, &img, dest, &o, &res, err);
	store_image_release(&img);
	cli_progress_free(prog);
	if (ret < 0)
		return -1;
	if (out)
		fprintf(out, "%s%s: digest: %s size: %lld\n", prefix, res.tag, res.digest.str,
			(long long)res.size);
	registry_push_result_release(&res);
	return 0;
}

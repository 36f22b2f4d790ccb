/*
 * imagerun.c - an image of the store as a process in the sandbox: what
 * `cbuild run IMAGE` does, and what RUN steps will build on.
 *
 *   build_image_resolve         IMAGE as users type it -> manifest and config
 *   build_image_rootfs  layers -> snapshots (leased) -> overlay lowerdirs
 *   build_image_process   config + docker run options -> argv, env, cwd, user
 *   build_image_run             all of it, then runtime_run() with a throwaway upper
 *
 * The process follows moby's rules (daemon/create.go merge(),
 * container.CreateDaemonEnvironment, opts.ReplaceOrAppendEnvValues), so an
 * image runs here as it does under `docker run`.
 *
 * Writes go to the runtime's throwaway upper layer (on the sandbox's
 * private tmpfs) rather than to a directory in the store: it vanishes with
 * the sandbox's mount namespace even when cbuild is SIGKILLed, needs no
 * removal (which, rootless with subordinate ids, the caller could not even
 * do for files other users created), and works on any filesystem under the
 * store.  The price: what a process writes to its root counts as memory.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "builder-internal.h"
#include "builder.h"
#include "cleanup.h"
#include "registry.h"
#include "xalloc.h"

/* moby's oci.DefaultPathEnv for Linux; the runtime's default too. */
#define IMAGE_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ------------------------------------------------------------------------ */
/* IMAGE -> store image                                                      */
/* ------------------------------------------------------------------------ */

int build_image_resolve(struct layer_store *s, const char *ref, struct store_image *img,
			char **tag_out, struct cb_error **err)
{
	struct cb_error *nerr = NULL;
	char *name = registry_ref_normalize(ref, &nerr);
	struct cb_digest d;
	int ret;

	if (tag_out)
		*tag_out = NULL;
	cb_error_free(&nerr); /* not a name: maybe an ID or a digest */
	if (name) {
		ret = layer_store_tag_get(s, name, &d, err);
		if (ret < 0) {
			free(name);
			return -1;
		}
		if (ret > 0) {
			ret = layer_store_image_get(s, name, img, err);
			if (ret == 0 && tag_out)
				*tag_out = name;
			else
				free(name);
			return ret;
		}
		free(name);
	}
	/* name@sha256:... of an image we hold under another name: use the digest. */
	{
		const char *at = strrchr(ref, '@');

		if (at && cb_digest_valid(at + 1))
			ref = at + 1;
	}
	/* "abcd" is a valid name too: an ID prefix is tried only when no tag matched */
	return layer_store_image_get(s, ref, img, err);
}

/* ------------------------------------------------------------------------ */
/* Layers -> snapshots                                                       */
/* ------------------------------------------------------------------------ */

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

int build_image_rootfs(struct layer_store *s, const struct store_image *img, int cancel_fd,
		       struct cb_strvec *lowerdirs, struct cb_error **err)
{
	const struct image_manifest *m = &img->manifest;
	const struct cb_strvec *diff_ids = &img->config.diff_ids;
	struct cb_digest parent, chain, diff_id;

	if (m->nlayers != diff_ids->n)
		return cb_error_set(err, 0,
				    "the image has %zu layers but its config lists %zu diff IDs",
				    m->nlayers, diff_ids->n);
	/* overlay needs a lower layer; an image without files has nothing to run anyway */
	if (!m->nlayers)
		return cb_error_set(err, 0, "the image has no layers");
	for (size_t i = 0; i < m->nlayers; i++) {
		if (readable(cancel_fd))
			return cb_error_set(err, ECANCELED, "prepare layer %zu", i);
		if (cb_digest_parse(diff_ids->v[i], &diff_id, err) < 0)
			return cb_error_wrap(err, "layer %zu: diff ID", i);
		/* diff_id given: the snapshot's tar is checked against the config */
		if (layer_store_snapshot_prepare(s, i ? &parent : NULL, &m->layers[i].digest,
						 &diff_id, &chain, err) < 0)
			return -1;
		parent = chain;
	}
	return layer_store_snapshot_lowerdirs(s, &chain, lowerdirs, err);
}

/* ------------------------------------------------------------------------ */
/* Config + options -> process                                               */
/* ------------------------------------------------------------------------ */

static bool key_is(const char *e, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(e, key, n) && (e[n] == '=' || !e[n]);
}

void build_image_env(const char *const *image, size_t nimage, const char *const *overrides,
		     size_t noverrides, const char *hostname, struct cb_strvec *out)
{
	struct cb_strvec merged = CB_STRVEC_INIT;
	struct env_index x;
	char *path = xstrdup("PATH=" IMAGE_DEFAULT_PATH), *host = NULL;

	env_index_init(&x, &merged, noverrides + nimage);
	/* daemon/create.go merge(): the user's entries, then the image's they leave alone */
	for (size_t i = 0; i < noverrides; i++)
		if (*overrides[i] && *overrides[i] != '=')
			env_index_set(&x, &merged, overrides[i]);
	for (size_t i = 0; i < nimage; i++) {
		size_t *slot;

		if (!strchr(image[i], '=') || image[i][0] == '=')
			continue;
		slot = env_index_find(&x, image[i]);
		if (!*slot) {
			cb_strvec_push(&merged, image[i]);
			*slot = merged.n;
		}
	}
	env_index_release(&x);
	/*
	 * CreateDaemonEnvironment: PATH and HOSTNAME first, replaced, removed
	 * (a bare K, only the user's: the image's were skipped) or appended to.
	 * merged holds each key once, so only those two can meet a second time.
	 */
	if (hostname)
		host = xasprintf("HOSTNAME=%s", hostname);
	for (size_t i = 0; i < merged.n; i++) {
		char **which = key_is(merged.v[i], "PATH")		     ? &path
			       : hostname && key_is(merged.v[i], "HOSTNAME") ? &host
									     : NULL;

		if (!which)
			continue;
		free(*which);
		*which = strchr(merged.v[i], '=') ? xstrdup(merged.v[i]) : NULL;
	}
	if (path)
		cb_strvec_push_take(out, path);
	if (host)
		cb_strvec_push_take(out, host);
	for (size_t i = 0; i < merged.n; i++)
		if (strchr(merged.v[i], '=') && !key_is(merged.v[i], "PATH") &&
		    !(hostname && key_is(merged.v[i], "HOSTNAME")))
			cb_strvec_push(out, merged.v[i]);
	cb_strvec_clear(&merged);
}

/* A short random hostname, as Docker's (the first 12 hex digits of the container ID). */
static char *random_hostname(void)
{
	unsigned char b[6];
	struct timespec ts;

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		/* no entropy yet (early boot): unique enough for a hostname */
		clock_gettime(CLOCK_REALTIME, &ts);
		return xasprintf("%06x%06lx", (unsigned)getpid() & 0xffffff,
				 (unsigned long)ts.tv_nsec & 0xffffff);
	}
	return xasprintf("%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* Entrypoint + Cmd, as daemon/create.go merge() and the CLI's --entrypoint make them. */
static void build_argv(const struct image_config *c, const struct build_image_overrides *o,
		       struct cb_strvec *argv)
{
	bool own_entrypoint = o->entrypoint != NULL;

	if (own_entrypoint) {
		if (*o->entrypoint)
			cb_strvec_push(argv, o->entrypoint);
	} else {
		for (size_t i = 0; i < c->entrypoint.n; i++)
			cb_strvec_push(argv, c->entrypoint.v[i]);
	}
	if (o->ncmd) {
		for (size_t i = 0; i < o->ncmd; i++)
			cb_strvec_push(argv, o->cmd[i]);
	} else if (!own_entrypoint) {
		/* --entrypoint drops the image's Cmd: it was meant for the old entrypoint */
		for (size_t i = 0; i < c->cmd.n; i++)
			cb_strvec_push(argv, c->cmd.v[i]);
	}
}

int build_image_process(const struct image_config *c, const struct build_image_overrides *o,
			const char *hostname, struct build_image_process *p, struct cb_error **err)
{
	static const struct build_image_overrides none;
	struct build_image_process r;
	const char *cwd, *user;

	if (!o)
		o = &none;
	memset(&r, 0, sizeof(r));
	build_argv(c, o, &r.argv);
	if (!r.argv.n) {
		cb_strvec_clear(&r.argv);
		return cb_error_set(err, 0, "no command specified");
	}
	/* `-w ""` is no -w, as in docker */
	cwd = o->workdir && *o->workdir		  ? o->workdir
	      : c->working_dir && *c->working_dir ? c->working_dir
						  : "/";
	if (*cwd != '/') {
		cb_strvec_clear(&r.argv);
		return cb_error_set(err, 0,
				    "the working directory `%s` is invalid, it needs to be an "
				    "absolute path",
				    cwd);
	}
	r.cwd = xstrdup(cwd);
	user = o->user ? o->user : c->user;
	r.user = user && *user ? xstrdup(user) : NULL;
	r.hostname = hostname ? xstrdup(hostname) : random_hostname();
	build_image_env((const char *const *)c->env.v, c->env.n, o->env, o->nenv, r.hostname,
			&r.env);
	*p = r;
	return 0;
}

void build_image_process_release(struct build_image_process *p)
{
	cb_strvec_clear(&p->argv);
	cb_strvec_clear(&p->env);
	free(p->cwd);
	free(p->user);
	free(p->hostname);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------------ */
/* All together                                                              */
/* ------------------------------------------------------------------------ */

static int run_prepared(struct layer_store *s, struct runtime *rt, const char *ref,
			const struct store_image *img, const struct build_image_process *p,
			const struct runtime_spec *tmpl, struct runtime_result *res,
			struct cb_error **err)
{
	struct cb_strvec lowers = CB_STRVEC_INIT;
	struct runtime_spec spec = *tmpl;
	int ret;

	if (build_image_rootfs(s, img, tmpl->cancel_fd, &lowers, err) < 0) {
		cb_strvec_clear(&lowers);
		return cb_error_wrap(err, "image `%s`", ref);
	}
	spec.rootfs = NULL;
	spec.lowerdirs = (const char *const *)lowers.v;
	spec.nlowerdirs = lowers.n;
	/* no upperdir: the runtime's throwaway one (see the top of this file) */
	spec.upperdir = NULL;
	spec.workdir = NULL;
	spec.argv = (const char *const *)p->argv.v;
	spec.env = (const char *const *)p->env.v;
	spec.cwd = p->cwd;
	spec.user = p->user;
	spec.hostname = p->hostname;
	/* s stays open across the run: its lease is what keeps prune off the snapshots */
	ret = runtime_run(rt, &spec, res, err);
	cb_strvec_clear(&lowers);
	return ret;
}

int build_image_run(struct layer_store *s, struct runtime *rt, const char *ref,
		    const struct build_image_overrides *o, const struct runtime_spec *tmpl,
		    struct runtime_result *res, struct cb_error **err)
{
	struct store_image img;
	struct build_image_process p;
	int ret;

	if (build_image_resolve(s, ref, &img, NULL, err) < 0)
		return -1;
	/* before any layer is extracted: "no command specified" should be instant */
	ret = build_image_process(&img.config, o, tmpl->hostname, &p, err);
	if (ret == 0) {
		ret = run_prepared(s, rt, ref, &img, &p, tmpl, res, err);
		build_image_process_release(&p);
	}
	store_image_release(&img);
	return ret;
}

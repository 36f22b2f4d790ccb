/*
 * network.c - the network namespaces a build's RUN steps share (issue 11,
 * finding 2): one per mode (private, none), made when the first step of
 * that mode misses the cache, so a fully cached build starts no pasta.
 *
 * pasta dies with the thread that started it (PR_SET_PDEATHSIG), and stage
 * threads may end before others are done with the namespace, so the
 * namespaces are made by build_run()'s own thread, which outlives every
 * stage thread: a step asks through b->net_efd (build_run()'s thread
 * watches it with the cancel fds, build_networks_serve) and waits on
 * b->net_cv.  When build_run()'s thread runs the stages itself (no stage
 * thread could start), it makes them directly.  Freed after the stage
 * threads have ended (build_networks_release), which stops pasta.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "builder-internal.h"

static size_t net_index(enum runtime_network mode)
{
	return mode == RUNTIME_NETWORK_PRIVATE ? 0 : 1;
}

/* With b->mu held, in build_run()'s thread: make the one of index i. */
static void make_one(struct build *b, size_t i)
{
	enum runtime_network mode = i == 0 ? RUNTIME_NETWORK_PRIVATE : RUNTIME_NETWORK_NONE;
	const char *limit = i == 0 ? runtime_net_limit(b->rt) : NULL;

	/* NULL without an error (rootless): each step makes its own */
	b->nets[i] = runtime_net_new(b->rt, mode, &b->net_err[i]);
	b->net_made[i] = true;
	if (limit)
		cb_strvec_pushf(&b->net_notes, "RUN steps have no outbound network: %s", limit);
}

int build_network(struct build *b, enum runtime_network mode, struct runtime_net **out,
		  struct cb_error **err)
{
	size_t i = net_index(mode);
	uint64_t one = 1;
	int rc = 0;

	*out = NULL;
	if (mode == RUNTIME_NETWORK_HOST)
		return 0;
	pthread_mutex_lock(&b->mu);
	if (!b->net_made[i] && pthread_equal(pthread_self(), b->main_thread)) {
		make_one(b, i);
	} else if (!b->net_made[i]) {
		b->net_wanted[i] = true;
		if (write(b->net_efd, &one, sizeof(one)) < 0) {
			/* an eventfd write fails only on overflow: readable then anyway */
		}
		while (!b->net_made[i])
			pthread_cond_wait(&b->net_cv, &b->mu);
	}
	if (b->net_err[i])
		rc = cb_error_set(err, 0, "%s", b->net_err[i]->msg); /* every step says why */
	else
		*out = b->nets[i];
	pthread_mutex_unlock(&b->mu);
	return rc;
}

void build_networks_serve(struct build *b)
{
	uint64_t n;

	if (read(b->net_efd, &n, sizeof(n)) < 0 && errno != EAGAIN) {
		/* nothing to read: a spurious wake-up */
	}
	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; i < 2; i++)
		if (b->net_wanted[i] && !b->net_made[i])
			make_one(b, i);
	pthread_cond_broadcast(&b->net_cv);
	pthread_mutex_unlock(&b->mu);
}

void build_networks_release(struct build *b)
{
	for (size_t i = 0; i < 2; i++) {
		runtime_net_free(b->nets[i]);
		b->nets[i] = NULL;
		cb_error_free(&b->net_err[i]);
	}
	cb_strvec_clear(&b->net_notes);
}

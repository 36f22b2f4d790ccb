/*
 * initproto.h - what cbuild and cbuild-init (runtime/helper/cbinit.c, the
 * sandbox's PID 1) say to each other.  Shared by both; nothing else
 * includes it.
 *
 * cbuild's child builds the sandbox, then execs cbuild-init from a sealed
 * memfd with argv = { "cbuild-init", "<blob fd>" }.  The blob (a memfd) is
 * a struct cbinit_header followed by: ngroups uint32 gids, nbpf 8-byte BPF
 * instructions, then argc, envc and 1 NUL-terminated strings: the
 * command's argv, its final environment, and the PATH to search.
 *
 * Both sides report to the cbuild parent over a SOCK_SEQPACKET socket with
 * struct sbx_msg messages.
 */
#ifndef CB_RUNTIME_INITPROTO_H
#define CB_RUNTIME_INITPROTO_H

#include <stdint.h>

#define CBINIT_MAGIC 0x74696e69626263ULL /* "cbbinit" */
#define CBINIT_VERSION 1

struct cbinit_header {
	uint64_t magic;
	uint32_t version;
	int32_t sock;	  /* the status socket */
	int32_t cwd_fd;	  /* O_PATH fd of the working directory, resolved in the root */
	int32_t stdio[3]; /* the step's 0, 1, 2; -1 = keep */
	uint32_t uid, gid;
	uint32_t set_groups; /* 0 when setgroups(2) is denied (rootless, single ID) */
	uint32_t ngroups;
	uint64_t caps; /* bounding set; also permitted/effective when uid == 0 */
	int32_t last_cap;
	uint32_t no_new_privs;
	uint32_t nbpf; /* seccomp instructions; 0 = unconfined */
	uint32_t argc, envc;
	uint32_t size; /* of the whole blob */
};

/* Messages to the parent. */
enum {
	SBX_MSG_ERROR = 1, /* the sandbox could not be set up */
	SBX_MSG_EXEC,	   /* the command could not be executed (a failed step) */
	SBX_MSG_STATUS,	   /* the command's wait status */
};

struct sbx_msg {
	int type;
	int code; /* ERROR/EXEC: errno (0 if none); STATUS: the wait status */
	char text[1024];
};

#endif

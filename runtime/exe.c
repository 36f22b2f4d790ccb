/*
 * exe.c - keep the cbuild binary out of the steps' reach (the
 * CVE-2019-5736 class).
 *
 * Any process in a sandbox that is a copy of cbuild exposes cbuild's
 * executable as /proc/PID/exe: a step could get an O_PATH handle on it
 * (open /proc/1/exe, make the runtime exec /proc/self/exe, a
 * "#!/proc/self/exe" script) and write to it once cbuild exits, and the
 * next root user of cbuild would run the attacker's code.
 *
 * So no process a step can see is a copy of cbuild: the child that builds
 * the sandbox execs cbuild-init (helper/cbinit.c, a small static program
 * embedded in cbuild at build time) before anything of the step runs, and
 * cbuild-init runs from a memfd sealed against writes, growth, shrinking
 * and further seals.  What a step can reach through /proc/self/exe or
 * /proc/1/exe is that sealed copy of cbuild-init, which it cannot change;
 * the init is also non-dumpable, so /proc/1/exe is closed to the step.
 *
 * Why not runc's ways: re-executing cbuild itself from a sealed copy costs a
 * second start of a binary with many libraries (~4 ms here) per cbuild
 * process and still leaves cbuild's code in the sandbox; runc 1.2's
 * read-only overlay of the binary needs a mount namespace for cbuild.
 * Copying 0.7 MB into a memfd once per struct runtime, and one exec of a
 * static binary per step (~0.3 ms), is cheaper and works rootless alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "runtime-internal.h"

#define CB_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* helper/cbinit.c, linked in by cbinit-blob.c (runtime/CMakeLists.txt) */
extern const unsigned char cbinit_blob_start[], cbinit_blob_end[];

int exe_sealed_init(struct cb_error **err)
{
	cleanup_close int fd = -1;

	/* vm.memfd_noexec may make memfds non-executable unless MFD_EXEC is asked for */
	fd = memfd_create("cbuild-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("cbuild-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return cb_error_set(err, errno, "memfd_create");
	if (cb_write_all(fd, cbinit_blob_start, (size_t)(cbinit_blob_end - cbinit_blob_start),
			 err) < 0)
		return cb_error_wrap(err, "copy cbuild-init");
	if (fcntl(fd, F_ADD_SEALS, CB_SEALS) < 0)
		return cb_error_set(err, errno, "seal cbuild-init");
	return steal_fd(&fd);
}

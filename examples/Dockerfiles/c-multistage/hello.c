/* The program of examples/Dockerfiles/c-multistage: built static in the
 * compiler stage, it is all the final image holds. */
#include <stdio.h>
#include <sys/utsname.h>

int main(int argc, char **argv)
{
	struct utsname u;
	const char *who = argc > 1 ? argv[1] : "world";

	if (uname(&u) < 0) {
		perror("uname");
		return 1;
	}
	printf("hello, %s, from a static C binary on scratch (%s)\n", who, u.machine);
	return 0;
}

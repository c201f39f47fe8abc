/* fault.c - crash and pause points for test builds (see fault.h). */
#include "common/fault.h"

#ifdef LETHE_FAULT_INJECTION
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* LETHE_PAUSE=POINT:FILE names @p name: announce FILE.reached, wait for FILE. */
static void pause_point(const char *name)
{
	const char *want = getenv("LETHE_PAUSE");
	const char *colon = want ? strchr(want, ':') : NULL;
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	char reached[4096];
	long waited;
	int fd;

	if (!colon || (size_t)(colon - want) != strlen(name) ||
	    strncmp(want, name, strlen(name)) != 0 || !colon[1])
		return;
	if (snprintf(reached, sizeof(reached), "%s.reached", colon + 1) >= (int)sizeof(reached))
		_exit(LT_FAULT_EXIT);
	fd = open(reached, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		_exit(LT_FAULT_EXIT);
	close(fd);
	for (waited = 0; access(colon + 1, F_OK) != 0; waited++) {
		if (waited >= LT_PAUSE_SECONDS * 100L)
			_exit(LT_FAULT_EXIT);
		(void)nanosleep(&tick, NULL); /* a signal only shortens one tick */
	}
}

void lt_fault_point(const char *name)
{
	const char *want = getenv("LETHE_FAULT");

	if (want && strcmp(want, name) == 0)
		_exit(LT_FAULT_EXIT);
	pause_point(name);
}
#else
/* ISO C forbids an empty translation unit. */
typedef int lt_fault_unused;
#endif

/* fault.c - crash points for test builds (see fault.h). */
#include "common/fault.h"

#ifdef LETHE_FAULT_INJECTION
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void lt_fault_point(const char *name)
{
	const char *want = getenv("LETHE_FAULT");

	if (want && strcmp(want, name) == 0)
		_exit(LT_FAULT_EXIT);
}
#else
/* ISO C forbids an empty translation unit. */
typedef int lt_fault_unused;
#endif

/* fault.c - crash and pause points and the fault-simulation counter of test builds (see
 * fault.h). */
#include "common/fault.h"

#ifdef LETHE_FAULT_INJECTION
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const kind_names[LT_FAULT_KINDS] = {"alloc", "liballoc", "openssl", "sqlite",
						       "io"};

static struct {
	int kind;          /* the armed kind, or -1 */
	unsigned long n;   /* fail its nth call; 0: count only */
	const char *start; /* count from this crash point on (KIND:N@POINT), or NULL */
	atomic_int started;
	const char *log; /* LETHE_FAULT_SIM_LOG, or NULL */
	atomic_ulong calls[LT_FAULT_KINDS];
} sim = {.kind = -1};
static pthread_once_t sim_once = PTHREAD_ONCE_INIT;
static void sim_init(void);
/* Set while this thread is inside the simulation: the calls it makes itself (open and write
 * of the log, an allocation of atexit) are neither counted nor failed. */
static _Thread_local int sim_busy;

/* LETHE_PAUSE=POINT:FILE names @p name: announce FILE.reached, wait for FILE. */
static void pause_point(const char *name)
{
	const char *want = getenv("LETHE_PAUSE");
	const char *colon = want ? strchr(want, ':') : NULL;
	const struct timespec tick = {0, 10 * 1000 * 1000};
	char reached[4096];
	long waited;
	int fd;

	if (!colon || (size_t) (colon - want) != strlen(name) ||
	    strncmp(want, name, strlen(name)) != 0 || !colon[1])
		return;
	if (snprintf(reached, sizeof(reached), "%s.reached", colon + 1) >= (int) sizeof(reached))
		_exit(LT_FAULT_EXIT);
	fd = open(reached, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		_exit(LT_FAULT_EXIT);
	close(fd);
	for (waited = 0; access(colon + 1, F_OK) != 0; waited++) {
		if (waited >= LT_PAUSE_SECONDS * 100L)
			_exit(LT_FAULT_EXIT);
		(void) nanosleep(&tick, NULL); /* a signal only shortens one tick */
	}
}

void lt_fault_point(const char *name)
{
	const char *want = getenv("LETHE_FAULT");

	if (want && strcmp(want, name) == 0)
		_exit(LT_FAULT_EXIT);
	sim_busy = 1; /* a pause's own calls are not the operation's */
	pause_point(name);
	pthread_once(&sim_once, sim_init);
	sim_busy = 0;
	if (sim.start && strcmp(sim.start, name) == 0)
		atomic_store(&sim.started, 1);
}

static void sim_log(const char *line, size_t len)
{
	int fd = open(sim.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return;
	if (write(fd, line, len) < 0) {
		/* nothing to do: the driver sees the line missing */
	}
	close(fd);
}

/* LETHE_FAULT_SIM_TRACE=1: the stack of the failed call too, for a test that fails. */
static void sim_trace(void)
{
	void *frames[32];
	int n = backtrace(frames, 32);
	int fd = open(sim.log, O_WRONLY | O_APPEND | O_CLOEXEC);

	if (fd < 0)
		return;
	backtrace_symbols_fd(frames, n, fd);
	close(fd);
}

static void sim_report(void)
{
	char line[160];
	int n;
	size_t used = 0;
	int k;

	sim_busy = 1;
	for (k = 0; k < LT_FAULT_KINDS; k++) {
		n = snprintf(line + used, sizeof(line) - used, "%s %s %lu", k ? "" : "calls",
			     kind_names[k], atomic_load(&sim.calls[k]));
		if (n < 0 || (size_t) n >= sizeof(line) - used)
			return;
		used += (size_t) n;
	}
	if (used < sizeof(line) - 1) {
		line[used++] = '\n';
		sim_log(line, used);
	}
}

/* LETHE_FAULT_SIM=KIND:N[@POINT]. A value that does not parse stops the process: a misspelt
 * kind would otherwise fail nothing and let a test believe the operation survived every fault. */
static void sim_init(void)
{
	const char *spec = getenv("LETHE_FAULT_SIM");
	const char *colon;
	char *end;
	int k;

	atomic_store(&sim.started, 1);
	sim.log = getenv("LETHE_FAULT_SIM_LOG");
	if (sim.log && !sim.log[0])
		sim.log = NULL;
	if (!spec || !spec[0])
		return;
	colon = strchr(spec, ':');
	for (k = 0; colon && k < LT_FAULT_KINDS; k++)
		if (strlen(kind_names[k]) == (size_t) (colon - spec) &&
		    strncmp(spec, kind_names[k], (size_t) (colon - spec)) == 0)
			break;
	if (!colon || k == LT_FAULT_KINDS || colon[1] < '0' || colon[1] > '9')
		goto bad;
	sim.n = strtoul(colon + 1, &end, 10);
	if (*end == '@' && end[1]) {
		sim.start = end + 1;
		atomic_store(&sim.started, 0);
	} else if (*end != '\0') {
		goto bad;
	}
	sim.kind = k;
	if (sim.log)
		(void) atexit(sim_report);
	return;
bad:
	fprintf(stderr,
		"lethe: LETHE_FAULT_SIM=%s: expected "
		"alloc|liballoc|openssl|sqlite|io:N[@POINT]\n",
		spec);
	_exit(2);
}

int lt_fault_sim(enum lt_fault_kind kind, const char *what, const void *caller)
{
	unsigned long n;
	char line[256];
	Dl_info info;
	int len;

	if (sim_busy || (unsigned) kind >= LT_FAULT_KINDS)
		return 0;
	sim_busy = 1;
	pthread_once(&sim_once, sim_init);
	if (!atomic_load(&sim.started)) {
		sim_busy = 0;
		return 0;
	}
	n = atomic_fetch_add(&sim.calls[kind], 1) + 1;
	if ((int) kind != sim.kind || n != sim.n) {
		sim_busy = 0;
		return 0;
	}
	if (sim.log) {
		const char *bin = "?";
		uintptr_t off = (uintptr_t) caller;

		if (caller && dladdr(caller, &info) && info.dli_fname && info.dli_fbase) {
			const char *slash = strrchr(info.dli_fname, '/');

			bin = slash ? slash + 1 : info.dli_fname;
			off = (uintptr_t) caller - (uintptr_t) info.dli_fbase;
		}
		len = snprintf(line, sizeof(line), "fired %s %lu %s %s+0x%lx\n", kind_names[kind],
			       n, what, bin, (unsigned long) off);
		if (len > 0 && (size_t) len < sizeof(line))
			sim_log(line, (size_t) len);
		if (getenv("LETHE_FAULT_SIM_TRACE"))
			sim_trace();
	}
	sim_busy = 0;
	return 1;
}
#else
/* ISO C forbids an empty translation unit. */
typedef int lt_fault_unused;
#endif

/* test_lib_host.c - liblethe leaves the process that embeds it as it found it: syslog ident and
 * facility, umask, core dump limit, dumpable flag, signal dispositions and mask; and a reader
 * that went away is an error for the caller, never SIGPIPE.
 *
 * This program plays the host. It sets each of those to values of its own, calls every public
 * function, and compares. umask() and openlog() leave nothing to compare when they are undone
 * before the call returns (or, for openlog, cannot be read back at all), so this executable
 * also defines them, with closelog() and setlogmask(): liblethe is linked in statically, so its
 * calls land here, are counted, and are passed on to the C library.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "include/lethe.h"

static const char pass[] = "correct horse battery staple";

/* ---------------------------------------------------------------------------------------- */
/* calls that leave no state behind to compare                                              */

static int umask_calls, openlog_calls, closelog_calls, setlogmask_calls;

mode_t umask(mode_t mask)
{
	static mode_t (*real)(mode_t);

	umask_calls++;
	if (!real)
		real = (mode_t(*)(mode_t)) dlsym(RTLD_NEXT, "umask");
	return real(mask);
}

void openlog(const char *ident, int option, int facility)
{
	static void (*real)(const char *, int, int);

	openlog_calls++;
	if (!real)
		real = (void (*)(const char *, int, int)) dlsym(RTLD_NEXT, "openlog");
	real(ident, option, facility);
}

void closelog(void)
{
	static void (*real)(void);

	closelog_calls++;
	if (!real)
		real = (void (*)(void)) dlsym(RTLD_NEXT, "closelog");
	real();
}

int setlogmask(int mask)
{
	static int (*real)(int);

	setlogmask_calls++;
	if (!real)
		real = (int (*)(int)) dlsym(RTLD_NEXT, "setlogmask");
	return real(mask);
}

/* ---------------------------------------------------------------------------------------- */
/* the host's process state                                                                 */

struct host_state {
	unsigned umask;
	struct rlimit core;
	int dumpable;
	sigset_t mask;
	sigset_t pending;
	struct sigaction actions[NSIG];
};

/* The umask without calling umask(), which would change it. */
static unsigned read_umask(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned mask = 01000; /* not a umask: fails every comparison */

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &mask) == 1)
			break;
	fclose(f);
	return mask;
}

static void snapshot(struct host_state *s)
{
	int sig;

	memset(s, 0, sizeof(*s));
	s->umask = read_umask();
	assert_int_equal(getrlimit(RLIMIT_CORE, &s->core), 0);
	s->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &s->mask), 0);
	assert_int_equal(sigpending(&s->pending), 0);
	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &s->actions[sig]) != 0)
			memset(&s->actions[sig], 0, sizeof(s->actions[sig]));
}

/* Report every difference at once, so one run shows all that a call changed. */
static void assert_unchanged(const struct host_state *before, const char *after_what)
{
	struct host_state now;
	char diff[2048] = "";
	size_t len = 0;
	int sig;

#define DIFF(...)                                                                                  \
	do {                                                                                       \
		if (len < sizeof(diff))                                                            \
			len += (size_t) snprintf(diff + len, sizeof(diff) - len, __VA_ARGS__);     \
	} while (0)
	snapshot(&now);
	if (now.umask != before->umask)
		DIFF("; umask %03o -> %03o", before->umask, now.umask);
	if (now.core.rlim_cur != before->core.rlim_cur ||
	    now.core.rlim_max != before->core.rlim_max)
		DIFF("; RLIMIT_CORE %llu -> %llu", (unsigned long long) before->core.rlim_cur,
		     (unsigned long long) now.core.rlim_cur);
	if (now.dumpable != before->dumpable)
		DIFF("; dumpable %d -> %d", before->dumpable, now.dumpable);
	for (sig = 1; sig < NSIG; sig++) {
		if (sigismember(&now.mask, sig) != sigismember(&before->mask, sig))
			DIFF("; signal %d %s", sig,
			     sigismember(&now.mask, sig) ? "blocked" : "unblocked");
		if (sigismember(&now.pending, sig) != sigismember(&before->pending, sig))
			DIFF("; signal %d left pending", sig);
		if (now.actions[sig].sa_handler != before->actions[sig].sa_handler ||
		    now.actions[sig].sa_flags != before->actions[sig].sa_flags)
			DIFF("; disposition of signal %d changed", sig);
	}
	if (umask_calls)
		DIFF("; umask() called %d times", umask_calls);
	if (openlog_calls || closelog_calls || setlogmask_calls)
		DIFF("; openlog() called %d, closelog() %d, setlogmask() %d times", openlog_calls,
		     closelog_calls, setlogmask_calls);
#undef DIFF
	if (len)
		fail_msg("%s changed the host process%s", after_what, diff);
}

/* Values no library would pick by accident. */
static void host_setup(struct host_state *s)
{
	struct rlimit core;
	sigset_t usr1;

	openlog("lethe-host-test", LOG_PID, LOG_LOCAL3);
	(void) umask(027);
	assert_int_equal(getrlimit(RLIMIT_CORE, &core), 0);
	core.rlim_cur =
	    core.rlim_max == RLIM_INFINITY || core.rlim_max > (1 << 20) ? (1 << 20) : core.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_CORE, &core), 0);
	assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	assert_true(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);
	umask_calls = openlog_calls = closelog_calls = setlogmask_calls = 0;
	snapshot(s);
	assert_int_equal(s->dumpable, 1);
	assert_int_equal(s->umask, 027);
	assert_true(s->actions[SIGPIPE].sa_handler == SIG_DFL);
	assert_int_equal(sigismember(&s->mask, SIGPIPE), 0);
}

/* ---------------------------------------------------------------------------------------- */
/* callbacks                                                                                */

static void on_progress(const char *what, uint64_t done, uint64_t total, void *ctx)
{
	(void) what, (void) done, (void) total, (void) ctx;
}

static int count_object(const struct lethe_object_info *info, void *ctx)
{
	(void) info;
	++*(int *) ctx;
	return 0;
}

static int count_key(const struct lethe_key_info *info, void *ctx)
{
	(void) info;
	++*(int *) ctx;
	return 0;
}

static int count_officer(const struct lethe_officer_info *info, void *ctx)
{
	(void) info;
	++*(int *) ctx;
	return 0;
}

static int count_cert(const struct lethe_cert_info *info, void *ctx)
{
	(void) info;
	++*(int *) ctx;
	return 0;
}

static void on_problem(const char *where, const char *what, void *ctx)
{
	(void) where, (void) what;
	++*(int *) ctx;
}

static void on_sweep(enum lethe_sweep_event event, const char *id, const char *detail, void *ctx)
{
	(void) event, (void) id, (void) detail, (void) ctx;
}

static void on_doctor(enum lethe_doctor_level level, const char *check, const char *detail,
		      void *ctx)
{
	(void) check, (void) detail;
	if (level == LETHE_DOCTOR_ERROR)
		++*(int *) ctx;
}

/* ---------------------------------------------------------------------------------------- */
/* tests                                                                                    */

struct fixture {
	char root[64];
	char dir[128], key[128], conf[128], out[128], evidence[128];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	FILE *f;

	assert_non_null(fx);
	snprintf(fx->root, sizeof(fx->root), "/tmp/lethe-test-host.XXXXXX");
	assert_non_null(mkdtemp(fx->root));
	snprintf(fx->dir, sizeof(fx->dir), "%s/store", fx->root);
	snprintf(fx->key, sizeof(fx->key), "%s/service.key", fx->root);
	snprintf(fx->conf, sizeof(fx->conf), "%s/template.conf", fx->root);
	snprintf(fx->out, sizeof(fx->out), "%s/checkpoints", fx->root);
	snprintf(fx->evidence, sizeof(fx->evidence), "%s/evidence", fx->root);
	f = fopen(fx->conf, "w");
	assert_non_null(f);
	/* syslog stays on (the default): forwarding is part of what must leave the host alone */
	fputs("[keys]\nofficer_kdf_memory = 32KiB\nofficer_kdf_time = 4\n"
	      "[group:gov]\nretention = 1h\n",
	      f);
	fclose(f);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->root);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

/* Every function of include/lethe.h, then the state compared. */
static void test_every_call_leaves_the_host_alone(void **state)
{
	struct fixture *fx = *state;
	struct host_state before;
	struct lethe_init_opts init = {0};
	struct lethe_open_opts open_opts = {0};
	struct lethe_store *st = NULL, *officer = NULL, *bad = NULL, *bob = NULL;
	struct lethe_object_info info;
	struct lethe_sweep_result swept;
	char id[LETHE_ID_LEN + 1], id2[LETHE_ID_LEN + 1], cert[LETHE_ID_LEN + 1];
	char when[21], *pem = NULL;
	uint64_t n = 0;
	uint32_t version = 0;
	int64_t secs = 0;
	int count = 0, problems = 0, fd;

	host_setup(&before);

	assert_non_null(lethe_version());
	assert_non_null(lethe_strerror(LETHE_ERR_IO));
	assert_non_null(lethe_errdetail());
	init.dir = fx->dir;
	init.config_template = fx->conf;
	init.keyfile = fx->key;
	init.officer = "alice";
	init.passphrase = pass;
	init.passphrase_len = strlen(pass);
	assert_int_equal(lethe_store_init(&init), LETHE_OK);
	assert_unchanged(&before, "lethe_store_init");

	/* a failed unlock: audited before any key is known */
	open_opts.dir = fx->dir;
	open_opts.passphrase = "wrong";
	open_opts.passphrase_len = 5;
	assert_int_equal(lethe_store_open(&open_opts, &bad), LETHE_ERR_UNLOCK);
	assert_unchanged(&before, "a failed lethe_store_open");
	open_opts.passphrase = NULL;
	open_opts.passphrase_len = 0;
	assert_int_equal(lethe_store_open(&open_opts, &st), LETHE_OK);
	open_opts.passphrase = pass;
	open_opts.passphrase_len = strlen(pass);
	assert_int_equal(lethe_store_open(&open_opts, &officer), LETHE_OK);
	assert_unchanged(&before, "lethe_store_open");
	assert_int_equal(lethe_store_is_officer(officer), 1);
	assert_string_equal(lethe_store_actor(st), "service");
	lethe_store_set_progress(st, on_progress, NULL);

	fd = memfd_create("upload", 0);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "payload", 7), 7);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(lethe_object_put_fd(st, fd, "gov", "a.txt", id), LETHE_OK);
	close(fd);
	assert_int_equal(lethe_object_put_buf(st, "second", 6, "gov", "b.txt", id2), LETHE_OK);
	fd = memfd_create("download", 0);
	assert_true(fd >= 0);
	assert_int_equal(lethe_object_get_fd(st, id, fd, 0, LETHE_TO_END, &n), LETHE_OK);
	assert_int_equal(n, 7);
	close(fd);
	assert_int_equal(lethe_object_stat(st, id, &info), LETHE_OK);
	assert_int_equal(lethe_object_list(st, "gov", 0, count_object, &count), LETHE_OK);
	assert_int_equal(count, 2);
	assert_int_equal(lethe_hold_set(st, id2, NULL, "case 1"), LETHE_OK);
	assert_int_equal(lethe_hold_clear(officer, id2, NULL, "closed"), LETHE_OK);
	assert_int_equal(lethe_retention_extend(st, id2, NULL, 0, 60, &n), LETHE_OK);
	/* refused (not expired), then forced by the officer: both audited, the first to syslog
	 * at warning */
	assert_int_equal(lethe_object_rm(st, id2, "test", 0, cert), LETHE_ERR_NOT_EXPIRED);
	assert_int_equal(lethe_object_rm(officer, id2, "test", 1, cert), LETHE_OK);
	assert_int_equal(lethe_sweep(st, 1, on_sweep, NULL, &swept), LETHE_OK);
	assert_int_equal(lethe_sweep(st, 0, on_sweep, NULL, &swept), LETHE_OK);
	assert_unchanged(&before, "the object calls");

	count = 0;
	assert_int_equal(lethe_key_list(st, count_key, &count), LETHE_OK);
	assert_int_equal(lethe_key_rotate(officer, &version), LETHE_OK);
	assert_int_equal(lethe_key_rewrap(officer, &n), LETHE_OK);
	assert_int_equal(lethe_key_retire(officer, 1), LETHE_OK);
	assert_int_equal(lethe_key_primary_age(st, &secs), LETHE_OK);
	assert_int_equal(lethe_officer_add(officer, "bob", "bob's passphrase", 16), LETHE_OK);
	/* bob, by name: his keyslot alone; his passphrase changed, the old one opens nothing */
	open_opts.passphrase = "bob's passphrase";
	open_opts.passphrase_len = 16;
	assert_int_equal(lethe_store_open_officer(&open_opts, "alice", &bad), LETHE_ERR_UNLOCK);
	assert_int_equal(lethe_store_open_officer(&open_opts, "bob", &bob), LETHE_OK);
	assert_string_equal(lethe_store_actor(bob), "bob");
	assert_int_equal(lethe_officer_passwd(bob, "bob's new passphrase", 20), LETHE_OK);
	lethe_store_close(bob);
	assert_int_equal(lethe_store_open_officer(&open_opts, "bob", &bad), LETHE_ERR_UNLOCK);
	open_opts.passphrase = "bob's new passphrase";
	open_opts.passphrase_len = 20;
	assert_int_equal(lethe_store_open_officer(&open_opts, "bob", &bob), LETHE_OK);
	assert_int_equal(lethe_officer_passwd(st, "x", 1), LETHE_ERR_NOT_OFFICER);
	lethe_store_close(bob);
	assert_int_equal(lethe_officer_list(officer, count_officer, &count), LETHE_OK);
	assert_int_equal(lethe_officer_remove(officer, "bob"), LETHE_OK);
	assert_unchanged(&before, "the key and officer calls");

	assert_int_equal(lethe_evidence_list(st, count_cert, &count), LETHE_OK);
	assert_int_equal(lethe_evidence_export(st, fx->evidence, &n), LETHE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(lethe_evidence_verify_dir(fx->evidence, on_problem, &problems, &n),
			 LETHE_OK);
	assert_int_equal(lethe_evidence_verify(st, on_problem, &problems, &n), LETHE_OK);
	assert_int_equal(lethe_evidence_pubkey_pem(st, &pem), LETHE_OK);
	free(pem);
	assert_int_equal(lethe_audit_verify(st, on_problem, &problems, &n), LETHE_OK);
	fd = memfd_create("audit", 0);
	assert_true(fd >= 0);
	assert_int_equal(lethe_audit_export(st, fd, 0, 0, &n), LETHE_OK);
	close(fd);
	assert_int_equal(lethe_audit_checkpoint(st, fx->out, &n), LETHE_OK);
	assert_int_equal(lethe_doctor(st, 0, on_doctor, &problems, &n), LETHE_OK);
	assert_int_equal(lethe_doctor(officer, 1, on_doctor, &problems, &n), LETHE_OK);
	assert_int_equal(problems, 0);
	assert_unchanged(&before, "the evidence, audit and doctor calls");

	assert_int_equal(lethe_duration_parse("7d", &secs), LETHE_OK);
	assert_int_equal(lethe_time_parse("2026-01-02", &secs), LETHE_OK);
	lethe_time_format(secs, when);
	lethe_store_close(st);
	lethe_store_close(officer);
	assert_unchanged(&before, "lethe_store_close");
	closelog();
}

/* A get or an export to a pipe or socket whose reader is gone: an error, never SIGPIPE. */
static void test_gone_reader_is_an_error(void **state)
{
	struct fixture *fx = *state;
	struct host_state before;
	struct lethe_init_opts init = {0};
	struct lethe_open_opts open_opts = {0};
	struct lethe_store *st = NULL;
	char id[LETHE_ID_LEN + 1];
	uint64_t n = 0;
	int fds[2];

	init.dir = fx->dir;
	init.config_template = fx->conf;
	init.keyfile = fx->key;
	init.officer = "alice";
	init.passphrase = pass;
	init.passphrase_len = strlen(pass);
	assert_int_equal(lethe_store_init(&init), LETHE_OK);
	open_opts.dir = fx->dir;
	assert_int_equal(lethe_store_open(&open_opts, &st), LETHE_OK);
	assert_int_equal(lethe_object_put_buf(st, "payload", 7, "gov", NULL, id), LETHE_OK);
	/* SIGPIPE at its default disposition, unblocked: the host dies if lethe raises it */
	host_setup(&before);

	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	assert_int_equal(lethe_object_get_fd(st, id, fds[1], 0, LETHE_TO_END, &n), LETHE_ERR_IO);
	assert_non_null(strstr(lethe_errdetail(), "Broken pipe"));
	close(fds[1]);
	assert_unchanged(&before, "lethe_object_get_fd to a pipe without reader");

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	close(fds[0]);
	assert_int_equal(lethe_object_get_fd(st, id, fds[1], 0, LETHE_TO_END, &n), LETHE_ERR_IO);
	assert_non_null(strstr(lethe_errdetail(), "Broken pipe"));
	close(fds[1]);
	assert_unchanged(&before, "lethe_object_get_fd to a socket without peer");

	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	assert_int_equal(lethe_audit_export(st, fds[1], 0, 0, &n), LETHE_ERR_IO);
	close(fds[1]);
	assert_unchanged(&before, "lethe_audit_export to a pipe without reader");

	/* the object is still there: a failed write is the reader's loss, not the store's */
	assert_int_equal(lethe_object_get_fd(st, id, -1, 0, LETHE_TO_END, &n), LETHE_OK);
	lethe_store_close(st);
	closelog();
}

/* A SIGPIPE the host already had pending (it blocks SIGPIPE itself) stays pending for it. */
static void test_host_pending_sigpipe_is_kept(void **state)
{
	struct fixture *fx = *state;
	struct lethe_init_opts init = {0};
	struct lethe_open_opts open_opts = {0};
	struct lethe_store *st = NULL;
	char id[LETHE_ID_LEN + 1];
	sigset_t pipe_set, pending, old;
	uint64_t n = 0;
	int fds[2];

	init.dir = fx->dir;
	init.config_template = fx->conf;
	init.keyfile = fx->key;
	init.officer = "alice";
	init.passphrase = pass;
	init.passphrase_len = strlen(pass);
	assert_int_equal(lethe_store_init(&init), LETHE_OK);
	open_opts.dir = fx->dir;
	assert_int_equal(lethe_store_open(&open_opts, &st), LETHE_OK);
	assert_int_equal(lethe_object_put_buf(st, "payload", 7, "gov", NULL, id), LETHE_OK);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &pipe_set, &old), 0);
	assert_int_equal(raise(SIGPIPE), 0);
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	assert_int_equal(lethe_object_get_fd(st, id, fds[1], 0, LETHE_TO_END, &n), LETHE_ERR_IO);
	close(fds[1]);
	assert_int_equal(sigpending(&pending), 0);
	assert_int_equal(sigismember(&pending, SIGPIPE), 1);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &pending), 0);
	assert_int_equal(sigismember(&pending, SIGPIPE), 1);
	/* consume it before unblocking, or it would end this test program */
	{
		int sig = 0;

		assert_int_equal(sigwait(&pipe_set, &sig), 0);
		assert_int_equal(sig, SIGPIPE);
	}
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	lethe_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_every_call_leaves_the_host_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gone_reader_is_an_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_pending_sigpipe_is_kept, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

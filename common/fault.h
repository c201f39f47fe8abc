/* fault.h - crash, pause and fault-simulation points for the crash, race and fault-simulation
 * suites; compiled to nothing in release builds.
 *
 * Crash points: a test build (cmake -DLETHE_FAULT_INJECTION=ON, or the lethe-fault command
 * every test build makes) makes LT_FAULT("put.after_link") call _exit(LT_FAULT_EXIT) when the
 * environment variable LETHE_FAULT names that point, so a test can stop a process at every step
 * of a put, rm, sweep, rewrap or retire and check recovery.
 *
 * LETHE_PAUSE=POINT:FILE makes the same point wait instead: the process creates FILE.reached,
 * then waits until FILE exists and carries on. A test thereby holds a process at a point while
 * it runs another command (a get between its row read and its file open, while an rm
 * commits), deterministically. A pause never released ends the process after
 * LT_PAUSE_SECONDS with LT_FAULT_EXIT.
 *
 * Fault simulation (SQLite's test model): LETHE_FAULT_SIM=KIND:N makes the Nth call of KIND in
 * the process fail, once, as the real call fails (NULL and ENOMEM, -1 and EIO, an OpenSSL error
 * on the queue, an SQLite error code), so that a test can fail every call of an operation in
 * turn (N = 1, 2, 3, ... until it completes) and check that each failure is clean.
 * KIND:N@POINT counts from the crash point POINT on (store.opened: the end of
 * lethe_store_open()). The kinds:
 *   alloc    malloc, calloc, realloc, strdup, strndup, posix_memalign of lethe's own code, and
 *            jansson's allocations for the JSON lethe builds (its allocator hook)
 *   liballoc the allocations OpenSSL and SQLite make inside lethe's calls to them (their
 *            allocator hooks): thousands per command, most of them OpenSSL's first fetch of an
 *            algorithm
 *   openssl  the OpenSSL calls of crypt/ that can fail
 *   sqlite   the SQLite calls of store/ that return a result code
 *   io       read, write, pread, fsync, syncfs, open, rename, link, unlink, mkdir, ftruncate
 *            of lethe's own code, and SQLite's reads, writes, syncs, truncates and deletes of
 *            meta.db and its journal (a VFS in front of the default one)
 * N = 0 only counts. With LETHE_FAULT_SIM_LOG=FILE, the process appends "fired KIND N CALL
 * BINARY+OFFSET" to FILE when it fails a call (OFFSET: the caller's address in its binary,
 * for addr2line), with LETHE_FAULT_SIM_TRACE=1 the stack too, and "calls alloc A liballoc L
 * openssl O sqlite S io I" at exit.
 *
 * The calls are caught where lethe makes them, by the linker (--wrap, tests/faultsim/), in the
 * lethe-fault command only: the release lethe and liblethe have neither the hooks nor the
 * counter, and ignore these variables. Libraries that make their own calls (libcryptsetup's
 * reads and writes of the keystore, libinih's reads of lethe.conf, libc's stdio buffers) are
 * not reached.
 *
 * Release builds compile the macro away: there is no way to trigger any of them.
 */
#ifndef LT_COMMON_FAULT_H
#define LT_COMMON_FAULT_H

#define LT_FAULT_EXIT    99
#define LT_PAUSE_SECONDS 60

enum lt_fault_kind {
	LT_FAULT_ALLOC,
	LT_FAULT_LIBALLOC,
	LT_FAULT_OPENSSL,
	LT_FAULT_SQLITE,
	LT_FAULT_IO,
	LT_FAULT_KINDS
};

#ifdef LETHE_FAULT_INJECTION
void lt_fault_point(const char *name);
#define LT_FAULT(name) lt_fault_point(name)
/*
 * Count one call of @p kind (named @p what, made from @p caller); 1 when the simulation wants
 * it to fail. Safe from any thread and from inside an allocator (it allocates nothing).
 */
int lt_fault_sim(enum lt_fault_kind kind, const char *what, const void *caller);
#else
#define LT_FAULT(name) ((void) 0)
#endif

#endif

/* fault.h - named crash and pause points for the crash and race suites; compiled to nothing in
 * release builds.
 *
 * A test build (cmake -DLETHE_FAULT_INJECTION=ON) makes LT_FAULT("put.after_rename") call
 * _exit(LT_FAULT_EXIT) when the environment variable LETHE_FAULT names that point, so a test
 * can stop a process at every step of a put, rm, sweep, rewrap or retire and check recovery.
 *
 * LETHE_PAUSE=POINT:FILE makes the same point wait instead: the process creates FILE.reached,
 * then waits until FILE exists and carries on. A test thereby holds a process at a point while
 * it runs another command (a get between its row read and its file open, while an rm
 * commits), deterministically. A pause never released ends the process after
 * LT_PAUSE_SECONDS with LT_FAULT_EXIT.
 *
 * Release builds compile the macro away: there is no way to trigger either.
 */
#ifndef LT_COMMON_FAULT_H
#define LT_COMMON_FAULT_H

#define LT_FAULT_EXIT 99
#define LT_PAUSE_SECONDS 60

#ifdef LETHE_FAULT_INJECTION
void lt_fault_point(const char *name);
#define LT_FAULT(name) lt_fault_point(name)
#else
#define LT_FAULT(name) ((void)0)
#endif

#endif

/* fault.h - named crash points for the crash suite; compiled to nothing in release builds.
 *
 * A test build (cmake -DLETHE_FAULT_INJECTION=ON) makes LT_FAULT("put.after_rename") call
 * _exit(LT_FAULT_EXIT) when the environment variable LETHE_FAULT names that point, so a test
 * can stop a process at every step of a put, rm, sweep, rewrap or retire and check recovery.
 * Release builds compile the macro away: there is no way to trigger it.
 */
#ifndef LT_COMMON_FAULT_H
#define LT_COMMON_FAULT_H

#define LT_FAULT_EXIT 99

#ifdef LETHE_FAULT_INJECTION
void lt_fault_point(const char *name);
#define LT_FAULT(name) lt_fault_point(name)
#else
#define LT_FAULT(name) ((void)0)
#endif

#endif

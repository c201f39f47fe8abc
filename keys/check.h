/* check.h - keys/'s part of `lethe doctor`: the keystore's keyslots, and its KEK entries
 * against the metadata's KEK rows, with what --repair may fix there. */
#ifndef LT_KEYS_CHECK_H
#define LT_KEYS_CHECK_H

#include <stdarg.h>
#include <stdbool.h>

#include "include/lethe.h"
#include "store/db.h"

/* One finding: its level, its check ("keystore", "keys") and its detail as printf would
 * format @p fmt with @p ap. */
typedef void (*lt_keys_report_fn)(void *ctx, enum lethe_doctor_level level, const char *check,
				  const char *fmt, va_list ap);

/*
 * Report through @p fn, as lethe_doctor() reports: officers.luks (its roster's signature, its
 * authority against the one meta.db pinned, keyslots outside the roster: --repair destroys
 * them) and keystore.luks, which holds the service keyslot alone (any other keyslot or
 * lethe-slot token is foreign: reported, --repair destroys it). A store from before
 * officers.luks (no pin, no file): the keyslots and officers of keystore.luks; keyslots
 * without a name (an interrupted `officer add`: they open the master key under no name;
 * --repair destroys them); KEK versions in the keystore that the metadata
 * says are retired (a crash after a retirement's commit; --repair removes them) or does not
 * know (an interrupted rotation, or a database restored from before it: a warning, never
 * destroyed); active versions missing from the keystore. With @p repair the keystore may
 * change: the caller forgets its copy of the KEK token (lt_kek_ring_forget). @p roster_stale
 * (when not NULL) says why officers.luks's roster is older than the audit log (keys/ cannot
 * read the log; lib/ asks it): reported, and keyslots outside that roster are then never
 * destroyed, since the log may say they are current officers'.
 * @return LETHE_OK, or the error reading the keyslots (reported; nothing else was checked).
 */
enum lethe_err lt_keys_check(const char *keystore_path, const char *officers_path,
			     const char *store_id, struct lt_db *db, bool repair,
			     const char *roster_stale, lt_keys_report_fn fn, void *ctx);

#endif

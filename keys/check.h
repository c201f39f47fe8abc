/* check.h - keys/'s part of `lethe doctor`: the keystore's keyslots, and its KEK entries
 * against the metadata's KEK rows, with what --repair may fix there. */
#ifndef LT_KEYS_CHECK_H
#define LT_KEYS_CHECK_H

#include <stdbool.h>

#include "include/lethe.h"
#include "store/db.h"

/*
 * Report through @p fn (as lethe_doctor() does; "keystore" and "keys" checks): the keyslots
 * and officers; keyslots without a name (an interrupted `officer add`: they open the master
 * key under no name; --repair destroys them); KEK versions in the keystore that the metadata
 * says are retired (a crash after a retirement's commit; --repair removes them) or does not
 * know (an interrupted rotation, or a database restored from before it: a warning, never
 * destroyed); active versions missing from the keystore. With @p repair the keystore may
 * change: the caller forgets its copy of the KEK token (lt_kek_ring_forget).
 * @return LETHE_OK, or the error reading the keyslots (reported; nothing else was checked).
 */
enum lethe_err lt_keys_check(const char *keystore_path, struct lt_db *db, bool repair,
			     lethe_doctor_fn fn, void *ctx);

#endif

/* luksdisk.h - the two binary LUKS2 headers of a keystore file, read and checked without
 * libcryptsetup, which falls back to the intact one and rewrites the damaged one from it
 * without telling: lethe checks both before it lets libcryptsetup load the file. */
#ifndef LT_KEYS_LUKSDISK_H
#define LT_KEYS_LUKSDISK_H

#include "include/lethe.h"

/*
 * Check the primary header (offset 0) and the backup header (at the primary's hdr_size, or
 * where libcryptsetup looks for it when the primary is unreadable) of the LUKS2 file @p path:
 * magic, version 2, a valid hdr_size, its own offset, and the SHA-256 checksum over the binary
 * header and its JSON area (with the checksum field zeroed).
 * @return LETHE_OK when both are intact; LETHE_ERR_INTEGRITY when either is damaged, with a
 *         detail naming which and why (and, when both are, that the file must be restored
 *         from its backup); LETHE_ERR_KEYSTORE when neither place holds a LUKS2 magic (not
 *         a LUKS2 file at all); LETHE_ERR_IO, LETHE_ERR_NOMEM or LETHE_ERR_CRYPTO when the
 *         check could not be made (never taken for damage).
 */
enum lethe_err lt_luks_headers_check(const char *path);

#endif

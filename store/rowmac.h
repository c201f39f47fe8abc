/* rowmac.h - the canonical encoding of the metadata rows lethe authenticates, defined once for
 * every backend, and the per-table digest that makes a deleted or inserted row visible.
 *
 * A row's MAC is HMAC-SHA256(row-MAC key, encoding of the row); store/ computes no MAC itself
 * (it has no OpenSSL): the handle is given an authenticator once the keys are unlocked
 * (lt_db_set_row_auth(), keys/rowauth.h provides it). docs/KEYS.md section 12 gives the bytes.
 *
 *   encoding = value(text "lethe/v1/row") || value(text TABLE) || value(column)...
 *   value    = 0x00                                 NULL
 *            | 0x01 || BE64(v)                      integer (two's complement)
 *            | 0x02 || BE32(length) || bytes        text (UTF-8, no terminator)
 *            | 0x03 || BE32(length) || bytes        blob
 *
 * Every column a decision reads is in it, the primary key included, in a fixed order (the
 * lt_rowenc_<table>() functions below), so a row cannot be edited, nor moved to another key.
 * The digest of a table is (number of rows, XOR of their MACs), itself MAC'd:
 *
 *   digest encoding = value(text "lethe/v1/row") || value(text "row_digests") ||
 *                     value(text TABLE) || value(integer count) || value(blob xor, 32 bytes)
 */
#ifndef LT_STORE_ROWMAC_H
#define LT_STORE_ROWMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

#define LT_ROWMAC_LEN 32

/* The authenticated tables, in the order doctor reports them. */
enum lt_row_table {
	LT_ROW_META,
	LT_ROW_KEKS,
	LT_ROW_OBJECTS,
	LT_ROW_HOLDS,
	LT_ROW_PENDING_UNLINKS,
	LT_ROW_CERTIFICATES,
	LT_ROW_CHECKPOINTS,
	LT_ROW_TABLES
};

/* The table's name in the encoding (and in meta.db). */
const char *lt_row_table_name(enum lt_row_table t);

/* An encoding being built: in @p small while it fits, on the heap beyond. */
struct lt_rowenc {
	uint8_t *buf;
	size_t len, cap;
	bool failed; /* out of memory, or a field over 4 GiB */
	uint8_t small[512];
};

void lt_rowenc_begin(struct lt_rowenc *e, enum lt_row_table t);
void lt_rowenc_null(struct lt_rowenc *e);
void lt_rowenc_int(struct lt_rowenc *e, int64_t v);
/* The bytes of @p s up to its terminator, at most @p max. */
void lt_rowenc_text(struct lt_rowenc *e, const char *s, size_t max);
void lt_rowenc_blob(struct lt_rowenc *e, const void *p, size_t len);
void lt_rowenc_free(struct lt_rowenc *e);

/* The rows: each begins @p e and appends every column in the order documented. */
void lt_rowenc_meta(struct lt_rowenc *e, const char *key, const void *value, size_t len);
void lt_rowenc_kek(struct lt_rowenc *e, const struct lt_db_kek *k);
void lt_rowenc_object(struct lt_rowenc *e, const struct lt_db_object *o);
void lt_rowenc_hold(struct lt_rowenc *e, const struct lt_db_hold *h);
void lt_rowenc_unlink(struct lt_rowenc *e, const char *id);
void lt_rowenc_cert(struct lt_rowenc *e, const struct lt_db_cert *c);
void lt_rowenc_checkpoint(struct lt_rowenc *e, const struct lt_db_checkpoint *cp);
void lt_rowenc_digest(struct lt_rowenc *e, enum lt_row_table t, uint64_t count,
		      const uint8_t xor_of_macs[LT_ROWMAC_LEN]);

#endif

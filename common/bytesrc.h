/* bytesrc.h - bytes read by range: what store/'s object stores hand out and crypt/ reads LTH1
 * files from, so that neither module knows the other (a local file, or a remote object). */
#ifndef LT_COMMON_BYTESRC_H
#define LT_COMMON_BYTESRC_H

#include <stddef.h>
#include <stdint.h>

#include "include/lethe.h"

struct lt_bytesrc {
	/* Read up to @p len bytes at @p offset into @p buf; *got is short only at the end. Safe
	 * to call from several threads at once (crypt/ reads segments in parallel). */
	enum lethe_err (*read_at)(void *ctx, void *buf, size_t len, uint64_t offset, size_t *got);
	/* The current size in bytes (LETHE_ERR_INVALID: not something that can be read by
	 * range). */
	enum lethe_err (*size)(void *ctx, uint64_t *size);
	/* Release what the source holds (NULL: nothing). */
	void (*close)(void *ctx);
	void *ctx;
};

/* Release @p src (once; a zeroed source is fine). */
static inline void lt_bytesrc_close(struct lt_bytesrc *src)
{
	if (src->close)
		src->close(src->ctx);
	src->close = NULL;
}

#endif

/* str.h - bounded C strings: the copy every module uses into fixed-size buffers. */
#ifndef LT_COMMON_STR_H
#define LT_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copy @p src (NULL counts as "") into @p dst of @p size bytes, cut if needed, and always
 * NUL-terminate when @p size > 0. Returns false when @p src was cut (or @p size is 0), so that
 * a caller for whom a cut value would mean something else (a path, an id) can refuse it.
 */
bool lt_strlcpy(char *dst, const char *src, size_t size);

#endif

/* str.c - bounded C strings. */
#include "common/str.h"

#include <string.h>

bool lt_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = src ? strlen(src) : 0;

	if (size == 0)
		return false;
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return false;
	}
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

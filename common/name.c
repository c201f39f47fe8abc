/* name.c - the name rule of group, officer and service names. */
#include "common/name.h"

#include <string.h>

/* Explicit ASCII ranges rather than isalnum(): the answer must not depend on the locale. */
static bool name_char_valid(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

bool lt_name_valid(const char *name, size_t max)
{
	size_t len;

	if (name == NULL)
		return false;
	/* strnlen: a name far too long is refused without reading all of it */
	len = strnlen(name, max + 1);
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!name_char_valid(name[i]))
			return false;
	}
	return true;
}

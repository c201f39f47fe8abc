/* utf8.c - strict UTF-8 decoding, one sequence at a time. */
#include "common/utf8.h"

#include <stdint.h>
#include <string.h>

size_t lt_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, min = 0x80, cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, min = 0x800, cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, min = 0x10000, cp = c & 0x07;
	} else {
		return 0; /* a continuation byte, 0xc0/0xc1 (always overlong) or 0xf5.. */
	}
	if (len > n)
		return 0;
	/* Stops at the first byte that does not continue, a NUL included: a cut sequence at the
	 * end of a string is refused without reading past it. */
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

bool lt_utf8_valid(const char *text)
{
	const unsigned char *s = (const unsigned char *) text;
	size_t len = strlen(text);

	for (size_t i = 0; i < len;) {
		size_t step = lt_utf8_len(s + i, len - i);

		if (step == 0)
			return false;
		i += step;
	}
	return true;
}

/* hex.c - bytes as lower-case hexadecimal text, and back. */
#include "common/hex.h"

#include <stdint.h>
#include <string.h>

#include "common/err.h"

static const char digits[] = "0123456789abcdef";

void lt_hex(const void *bytes, size_t len, char *out)
{
	const uint8_t *p = bytes;

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum lethe_err lt_unhex(const char *hex, void *bytes, size_t len)
{
	uint8_t *out = bytes;
	size_t i;

	/* Exactly 2*len digits and then the end of the string: no prefix, suffix or space. */
	for (i = 0; i < len; i++) {
		int hi = hex_value(hex[2 * i]);
		int lo = hi < 0 ? -1 : hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto bad;
		out[i] = (uint8_t) (hi << 4 | lo);
	}
	if (hex[2 * len] != '\0')
		goto bad;
	return LETHE_OK;
bad:
	/* The output may be key material: leave none of it behind. explicit_bzero, which the
	 * compiler cannot elide either: common/ sits below crypt/ and does not link OpenSSL. */
	explicit_bzero(bytes, len);
	return lt_err(LETHE_ERR_INVALID, "expected exactly %zu hexadecimal digits", 2 * len);
}

bool lt_hex_valid(const char *text, size_t len)
{
	if (text == NULL || strnlen(text, 2 * len + 1) != 2 * len)
		return false;
	for (size_t i = 0; i < 2 * len; i++) {
		char c = text[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

LETHE_API void lethe_hex_format(const void *bytes, size_t len, char *out)
{
	lt_hex(bytes, len, out);
}

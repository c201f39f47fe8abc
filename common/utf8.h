/* utf8.h - strict UTF-8 (RFC 3629): what lethe accepts as text in configs and certificates.
 *
 * Strict: no overlong forms, no UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF,
 * no cut sequences. NUL is a valid one-byte sequence here; callers that refuse it say so.
 */
#ifndef LT_COMMON_UTF8_H
#define LT_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1..4) of the valid sequence at @p s, which has @p n bytes left (n >= 1); 0 if the
 * bytes there are not one. */
size_t lt_utf8_len(const unsigned char *s, size_t n);

/* Is the NUL-terminated @p text valid UTF-8 throughout? */
bool lt_utf8_valid(const char *text);

#endif

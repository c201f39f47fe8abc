/* hex.h - bytes as lower-case hexadecimal text (hashes, MACs, wrapped keys in tokens). */
#ifndef LT_COMMON_HEX_H
#define LT_COMMON_HEX_H

#include <stdbool.h>
#include <stddef.h>

#include "include/lethe.h"

/* Lower-case hex of @p len bytes into @p out (2*len+1 bytes, NUL-terminated). */
void lt_hex(const void *bytes, size_t len, char *out);

/*
 * Parse exactly 2*len hex digits (either case) followed by the end of the string into @p bytes;
 * LETHE_ERR_INVALID otherwise, and @p bytes is then wiped (it may be key material).
 */
enum lethe_err lt_unhex(const char *hex, void *bytes, size_t len);

/* Is @p text (NULL is not) exactly what lt_hex() writes for @p len bytes: 2*len lower-case hex
 * digits and the end of the string? */
bool lt_hex_valid(const char *text, size_t len);

#endif

/* name.h - the one rule for the names lethe keeps: groups, and the officers and service that
 * name keyslots (the actors of audit records and certificates).
 *
 * A name is 1 to max bytes of A-Z a-z 0-9 . _ - : it goes into file paths, LUKS2 tokens,
 * config section headers, audit lines and signed certificates unquoted and unescaped, and it
 * reads the same in every locale, encoding and terminal.
 */
#ifndef LT_COMMON_NAME_H
#define LT_COMMON_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* Is @p name (NULL is not) 1..@p max bytes of A-Z a-z 0-9 . _ - ? */
bool lt_name_valid(const char *name, size_t max);

#endif

/* secmem.h - memory for key material: locked where allowed, wiped before it is freed. */
#ifndef LT_CRYPT_SECMEM_H
#define LT_CRYPT_SECMEM_H

#include <stddef.h>

/* Zeroed memory for secrets: mlock()ed when the limit allows, excluded from core dumps
 * (MADV_DONTDUMP); its size is recorded with it. NULL when out of memory. In sanitizer builds
 * (LETHE_SANITIZE) plain malloc, so that ASan reports a use after free of key memory. */
void *lt_secmem_alloc(size_t len);

/* Wipe (OPENSSL_cleanse) and free everything lt_secmem_alloc() gave for @p p, by the size it
 * recorded; @p len must equal the size asked for (asserted). NULL is a no-op. */
void lt_secmem_free(void *p, size_t len);

/* Wipe with OPENSSL_cleanse (never elided by the compiler). */
void lt_cleanse(void *p, size_t len);

#endif

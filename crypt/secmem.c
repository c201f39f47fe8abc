/* secmem.c - memory for key material: its own pages, locked when the limit allows, left out
 * of core dumps, wiped before they go back to the system.
 *
 * Per page and nothing process-wide: liblethe runs inside its host's process, and whether that
 * process may dump core (RLIMIT_CORE, PR_SET_DUMPABLE) is the host's choice, not a library's.
 * The lethe command makes that choice for itself in cli/main.c.
 *
 * Each buffer starts with a header recording its size, as cryptsetup's crypt_safe_alloc does,
 * so that a free wipes and releases exactly what was allocated:
 *
 *     [ struct secmem_header | len bytes for the caller ]
 *     ^ the mapping (release builds) or the malloc block (sanitizer builds)
 *
 * Release builds map whole pages for each buffer, so no other data shares a locked or
 * excluded page. Sanitizer builds (LETHE_SANITIZE) use malloc instead: an unmapped page is
 * soon mapped again at the same address for the next key, so a use after free there reads
 * another key without a fault; ASan's quarantine reports it, and a read past a key's end.
 */
#include "crypt/secmem.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* Keeps the caller's bytes 16-byte aligned, as malloc's are. */
struct secmem_header {
	size_t len;  /* what the caller asked for */
	size_t span; /* bytes of the mapping or block, header included */
};
#define SECMEM_HEADER ((size_t) 16)
_Static_assert(sizeof(struct secmem_header) <= 16, "secmem header larger than its room");

static struct secmem_header *secmem_header(void *p)
{
	return (struct secmem_header *) (void *) ((uint8_t *) p - SECMEM_HEADER);
}

#ifdef LETHE_SANITIZE

void *lt_secmem_alloc(size_t len)
{
	struct secmem_header *h;

	if (len > SIZE_MAX - SECMEM_HEADER)
		return NULL;
	h = calloc(1, SECMEM_HEADER + len);
	if (!h)
		return NULL;
	h->len = len;
	h->span = SECMEM_HEADER + len;
	return (uint8_t *) h + SECMEM_HEADER;
}

void lt_secmem_free(void *p, size_t len)
{
	struct secmem_header *h;

	if (!p)
		return;
	h = secmem_header(p);
	assert(len == h->len); /* a caller that disagrees has lost track of the buffer */
	(void) len;
	OPENSSL_cleanse(h, h->span);
	free(h);
}

#else

/* Whole pages, so that no other data shares a locked or excluded page. */
static size_t secmem_span(size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t ps = page > 0 ? (size_t) page : 4096;

	if (len > SIZE_MAX - ps)
		return 0;
	return (len + ps - 1) / ps * ps;
}

void *lt_secmem_alloc(size_t len)
{
	struct secmem_header *h;
	size_t span;

	if (len > SIZE_MAX - SECMEM_HEADER)
		return NULL;
	span = secmem_span(SECMEM_HEADER + len);
	if (span == 0)
		return NULL;
	/* Anonymous mappings are zero-filled. */
	h = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		return NULL;
	/* Best effort: RLIMIT_MEMLOCK may be small; the key still works unlocked. */
	(void) mlock(h, span);
	(void) madvise(h, span, MADV_DONTDUMP);
	h->len = len;
	h->span = span;
	return (uint8_t *) h + SECMEM_HEADER;
}

void lt_secmem_free(void *p, size_t len)
{
	struct secmem_header *h;
	size_t span;

	if (!p)
		return;
	h = secmem_header(p);
	assert(len == h->len); /* a caller that disagrees has lost track of the buffer */
	(void) len;
	span = h->span;
	OPENSSL_cleanse(h, span);
	(void) munlock(h, span);
	(void) munmap(h, span);
}

#endif

void lt_cleanse(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

/* secmem.c - memory for key material: its own pages, locked when the limit allows, left out
 * of core dumps, wiped before they go back to the system.
 *
 * Per page and nothing process-wide: liblethe runs inside its host's process, and whether that
 * process may dump core (RLIMIT_CORE, PR_SET_DUMPABLE) is the host's choice, not a library's.
 * The lethe command makes that choice for itself in cli/main.c. */
#include "crypt/secmem.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* Whole pages, so that no other data shares a locked or excluded page. */
static size_t secmem_span(size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t ps = page > 0 ? (size_t) page : 4096;

	if (len == 0)
		len = 1;
	if (len > SIZE_MAX - ps)
		return 0;
	return (len + ps - 1) / ps * ps;
}

void *lt_secmem_alloc(size_t len)
{
	size_t span = secmem_span(len);
	void *p;

	if (span == 0)
		return NULL;
	/* Anonymous mappings are zero-filled. */
	p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Best effort: RLIMIT_MEMLOCK may be small; the key still works unlocked. */
	(void) mlock(p, span);
	(void) madvise(p, span, MADV_DONTDUMP);
	return p;
}

void lt_secmem_free(void *p, size_t len)
{
	size_t span;

	if (!p)
		return;
	span = secmem_span(len);
	OPENSSL_cleanse(p, span);
	(void) munlock(p, span);
	(void) munmap(p, span);
}

void lt_cleanse(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

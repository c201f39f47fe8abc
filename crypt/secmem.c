/* secmem.c - memory for key material: its own pages, locked when the limit allows, left out
 * of core dumps, wiped before they go back to the system. */
#include "crypt/secmem.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/crypto.h>

static pthread_once_t secmem_once = PTHREAD_ONCE_INIT;

static void secmem_init_once(void)
{
	const struct rlimit no_core = {0, 0};

	/* Best effort: a failure leaves the defaults, and neither call can weaken anything. */
	(void) setrlimit(RLIMIT_CORE, &no_core);
	/* Also stops ptrace by other processes of the same user and core pipes (systemd-coredump). */
	(void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void lt_secmem_init(void)
{
	(void) pthread_once(&secmem_once, secmem_init_once);
}

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

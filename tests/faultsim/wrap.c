/*
 * wrap.c - the hooks of the fault simulation (common/fault.h), linked into lethe-fault only.
 *
 * The linker's --wrap=SYM (tests/faultsim/CMakeLists.txt) sends every call lethe's own objects
 * make to SYM to __wrap_SYM here, and __real_SYM to the real one (under ASan, to its
 * interceptor). Each hook asks lt_fault_sim() whether this call is the one to fail and, if so,
 * fails it the way the real call fails. Allocations made inside OpenSSL, SQLite and jansson,
 * and SQLite's own file I/O, are reached through those libraries' hooks, installed before
 * main() by faultsim_install().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "common/fault.h"

#define CALLER __builtin_return_address(0)

/* Nothing is counted before the hooks are all in place (faultsim_install's own allocations). */
static int installed;

static int sim(enum lt_fault_kind kind, const char *what, const void *caller)
{
	return installed && lt_fault_sim(kind, what, caller);
}

/* ---- allocations ------------------------------------------------------------------------ */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_posix_memalign(void **p, size_t align, size_t size);

static int alloc_fails_as(enum lt_fault_kind kind, const char *what, const void *caller)
{
	if (!sim(kind, what, caller))
		return 0;
	errno = ENOMEM;
	return 1;
}

static int alloc_fails(const char *what, const void *caller)
{
	return alloc_fails_as(LT_FAULT_ALLOC, what, caller);
}

void *__wrap_malloc(size_t size)
{
	return alloc_fails("malloc", CALLER) ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return alloc_fails("calloc", CALLER) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return alloc_fails("realloc", CALLER) ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
	return alloc_fails("strdup", CALLER) ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return alloc_fails("strndup", CALLER) ? NULL : __real_strndup(s, n);
}

int __wrap_posix_memalign(void **p, size_t align, size_t size)
{
	return alloc_fails("posix_memalign", CALLER) ? ENOMEM
						     : __real_posix_memalign(p, align, size);
}

/*
 * OpenSSL's allocator (CRYPTO_set_mem_functions) serves the whole process, libcryptsetup's
 * key derivation included (tens of thousands of allocations per unlock, none of them lethe's):
 * only the allocations made inside a call of crypt/ (in_openssl, set by the OpenSSL hooks
 * below) are counted.
 */
static _Thread_local int in_openssl;

static void *ossl_malloc(size_t size, const char *file, int line)
{
	(void) file;
	(void) line;
	if (in_openssl && alloc_fails_as(LT_FAULT_LIBALLOC, "OPENSSL_malloc", CALLER))
		return NULL;
	return __real_malloc(size);
}

static void *ossl_realloc(void *p, size_t size, const char *file, int line)
{
	(void) file;
	(void) line;
	if (in_openssl && alloc_fails_as(LT_FAULT_LIBALLOC, "OPENSSL_realloc", CALLER))
		return NULL;
	return __real_realloc(p, size);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void) file;
	(void) line;
	free(p);
}

/*
 * jansson's allocator (json_set_alloc_funcs). Not inside its parser: jansson (2.14) reports an
 * allocation that fails while parsing as a syntax error (json_error_code() is not
 * json_error_out_of_memory), so no caller can tell it from malformed text; lethe reports it as
 * a corrupt keystore token or certificate. json_loads and json_loadb are wrapped to say when
 * the parser runs.
 */
static _Thread_local int in_json_parse;

static void *json_malloc(size_t size)
{
	if (!in_json_parse && alloc_fails("json malloc", CALLER))
		return NULL;
	return __real_malloc(size);
}

json_t *__real_json_loads(const char *input, size_t flags, json_error_t *error);
json_t *__real_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error);

json_t *__wrap_json_loads(const char *input, size_t flags, json_error_t *error)
{
	json_t *r;

	in_json_parse++;
	r = __real_json_loads(input, flags, error);
	in_json_parse--;
	return r;
}

json_t *__wrap_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error)
{
	json_t *r;

	in_json_parse++;
	r = __real_json_loadb(buffer, buflen, flags, error);
	in_json_parse--;
	return r;
}

/* SQLite's allocator (SQLITE_CONFIG_MALLOC): its own, with a counted malloc and realloc. */
static sqlite3_mem_methods sqlite_mem;

static void *sqlite_malloc(int size)
{
	return alloc_fails_as(LT_FAULT_LIBALLOC, "sqlite3_malloc", CALLER)
		   ? NULL
		   : sqlite_mem.xMalloc(size);
}

static void *sqlite_realloc(void *p, int size)
{
	return alloc_fails_as(LT_FAULT_LIBALLOC, "sqlite3_realloc", CALLER)
		   ? NULL
		   : sqlite_mem.xRealloc(p, size);
}

/* ---- I/O -------------------------------------------------------------------------------- */

ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real___read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __real_pread64(int fd, void *buf, size_t n, off_t off);
ssize_t __real___pread64_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __real_pwrite64(int fd, const void *buf, size_t n, off_t off);
int __real_fsync(int fd);
int __real_fdatasync(int fd);
int __real_syncfs(int fd);
int __real_ftruncate64(int fd, off_t len);
int __real_rename(const char *from, const char *to);
int __real_renameat(int dfrom, const char *from, int dto, const char *to);
int __real_link(const char *from, const char *to);
int __real_linkat(int dfrom, const char *from, int dto, const char *to, int flags);
int __real_unlink(const char *path);
int __real_unlinkat(int dir, const char *path, int flags);
int __real_mkdir(const char *path, mode_t mode);
int __real_open64(const char *path, int flags, ...);
int __real___open64_2(const char *path, int flags);
int __real_openat64(int dir, const char *path, int flags, ...);
int __real___openat64_2(int dir, const char *path, int flags);
int __real_mkostemp64(char *tmpl, int flags);

static int io_fails(const char *what, const void *caller)
{
	if (!sim(LT_FAULT_IO, what, caller))
		return 0;
	errno = EIO;
	return 1;
}

#define IO_WRAP(ret, name, params, args)                                                           \
	ret __wrap_##name params                                                                   \
	{                                                                                          \
		if (io_fails(#name, CALLER))                                                       \
			return -1;                                                                 \
		return __real_##name args;                                                         \
	}

IO_WRAP(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))
IO_WRAP(ssize_t, __read_chk, (int fd, void *buf, size_t n, size_t buflen), (fd, buf, n, buflen))
IO_WRAP(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n))
IO_WRAP(ssize_t, pread64, (int fd, void *buf, size_t n, off_t off), (fd, buf, n, off))
IO_WRAP(ssize_t, __pread64_chk, (int fd, void *buf, size_t n, off_t off, size_t buflen),
	(fd, buf, n, off, buflen))
IO_WRAP(ssize_t, pwrite64, (int fd, const void *buf, size_t n, off_t off), (fd, buf, n, off))
IO_WRAP(int, fsync, (int fd), (fd))
IO_WRAP(int, fdatasync, (int fd), (fd))
IO_WRAP(int, syncfs, (int fd), (fd))
IO_WRAP(int, ftruncate64, (int fd, off_t len), (fd, len))
IO_WRAP(int, rename, (const char *from, const char *to), (from, to))
IO_WRAP(int, renameat, (int dfrom, const char *from, int dto, const char *to),
	(dfrom, from, dto, to))
IO_WRAP(int, link, (const char *from, const char *to), (from, to))
IO_WRAP(int, linkat, (int dfrom, const char *from, int dto, const char *to, int flags),
	(dfrom, from, dto, to, flags))
IO_WRAP(int, unlink, (const char *path), (path))
IO_WRAP(int, unlinkat, (int dir, const char *path, int flags), (dir, path, flags))
IO_WRAP(int, mkdir, (const char *path, mode_t mode), (path, mode))
IO_WRAP(int, __open64_2, (const char *path, int flags), (path, flags))
IO_WRAP(int, __openat64_2, (int dir, const char *path, int flags), (dir, path, flags))
IO_WRAP(int, mkostemp64, (char *tmpl, int flags), (tmpl, flags))

/* open and openat, named @p what in the log: the mode argument is there only with O_CREAT or
 * O_TMPFILE, and is passed on as it came. */
#define OPEN_WRAP(name, what, params, args)                                                        \
	int __wrap_##name params                                                                   \
	{                                                                                          \
		mode_t mode = 0;                                                                   \
                                                                                                   \
		if (flags & (O_CREAT | O_TMPFILE)) {                                               \
			va_list ap;                                                                \
                                                                                                   \
			va_start(ap, flags);                                                       \
			mode = va_arg(ap, mode_t);                                                 \
			va_end(ap);                                                                \
		}                                                                                  \
		if (io_fails(what, CALLER))                                                        \
			return -1;                                                                 \
		return __real_##name args;                                                         \
	}

OPEN_WRAP(open64, "open", (const char *path, int flags, ...), (path, flags, mode))
OPEN_WRAP(openat64, "openat", (int dir, const char *path, int flags, ...), (dir, path, flags, mode))

/*
 * SQLite's own I/O on meta.db, its WAL and journal: a VFS in front of the default one whose
 * files fail the counted xRead, xWrite, xSync and xTruncate with SQLite's I/O error codes, and
 * whose xDelete fails as an unlink would.
 */
static sqlite3_vfs *real_vfs;
static sqlite3_vfs sim_vfs;

struct sim_file {
	sqlite3_file base;
	sqlite3_io_methods methods; /* the real file's, with the hooks below */
	const sqlite3_io_methods *real_methods;
	sqlite3_file *real;
};

#define REAL(f)         (((struct sim_file *) (f))->real)
#define REAL_METHODS(f) (((struct sim_file *) (f))->real_methods)

static int sim_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	if (sim(LT_FAULT_IO, "sqlite xRead", CALLER))
		return SQLITE_IOERR_READ;
	return REAL_METHODS(f)->xRead(REAL(f), buf, n, off);
}

static int sim_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (sim(LT_FAULT_IO, "sqlite xWrite", CALLER))
		return SQLITE_IOERR_WRITE;
	return REAL_METHODS(f)->xWrite(REAL(f), buf, n, off);
}

static int sim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	if (sim(LT_FAULT_IO, "sqlite xTruncate", CALLER))
		return SQLITE_IOERR_TRUNCATE;
	return REAL_METHODS(f)->xTruncate(REAL(f), size);
}

static int sim_sync(sqlite3_file *f, int flags)
{
	if (sim(LT_FAULT_IO, "sqlite xSync", CALLER))
		return SQLITE_IOERR_FSYNC;
	return REAL_METHODS(f)->xSync(REAL(f), flags);
}

/* The other methods pass through to the real file. */
static int sim_close(sqlite3_file *f)
{
	return REAL_METHODS(f)->xClose(REAL(f));
}

static int sim_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL_METHODS(f)->xFileSize(REAL(f), size);
}

static int sim_lock(sqlite3_file *f, int level)
{
	return REAL_METHODS(f)->xLock(REAL(f), level);
}

static int sim_unlock(sqlite3_file *f, int level)
{
	return REAL_METHODS(f)->xUnlock(REAL(f), level);
}

static int sim_check_reserved(sqlite3_file *f, int *out)
{
	return REAL_METHODS(f)->xCheckReservedLock(REAL(f), out);
}

static int sim_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL_METHODS(f)->xFileControl(REAL(f), op, arg);
}

static int sim_sector_size(sqlite3_file *f)
{
	return REAL_METHODS(f)->xSectorSize(REAL(f));
}

static int sim_device_characteristics(sqlite3_file *f)
{
	return REAL_METHODS(f)->xDeviceCharacteristics(REAL(f));
}

static int sim_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
	return REAL_METHODS(f)->xShmMap(REAL(f), region, size, extend, out);
}

static int sim_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL_METHODS(f)->xShmLock(REAL(f), offset, n, flags);
}

static void sim_shm_barrier(sqlite3_file *f)
{
	REAL_METHODS(f)->xShmBarrier(REAL(f));
}

static int sim_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL_METHODS(f)->xShmUnmap(REAL(f), delete_flag);
}

static int sim_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
	return REAL_METHODS(f)->xFetch(REAL(f), off, n, out);
}

static int sim_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL_METHODS(f)->xUnfetch(REAL(f), off, p);
}

static int sim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
		    int *out_flags)
{
	struct sim_file *sf = (struct sim_file *) file;
	const sqlite3_io_methods *m;
	int rc;

	(void) vfs;
	memset(sf, 0, sizeof(*sf));
	sf->real = (sqlite3_file *) ((char *) sf + sizeof(*sf));
	rc = real_vfs->xOpen(real_vfs, name, sf->real, flags, out_flags);
	m = sf->real->pMethods;
	if (!m)
		return rc; /* nothing to close */
	sf->real_methods = m;
	sf->methods = (sqlite3_io_methods){
	    .iVersion = m->iVersion,
	    .xClose = sim_close,
	    .xRead = sim_read,
	    .xWrite = sim_write,
	    .xTruncate = sim_truncate,
	    .xSync = sim_sync,
	    .xFileSize = sim_file_size,
	    .xLock = sim_lock,
	    .xUnlock = sim_unlock,
	    .xCheckReservedLock = sim_check_reserved,
	    .xFileControl = sim_file_control,
	    .xSectorSize = sim_sector_size,
	    .xDeviceCharacteristics = sim_device_characteristics,
	    .xShmMap = m->iVersion >= 2 && m->xShmMap ? sim_shm_map : NULL,
	    .xShmLock = m->iVersion >= 2 && m->xShmLock ? sim_shm_lock : NULL,
	    .xShmBarrier = m->iVersion >= 2 && m->xShmBarrier ? sim_shm_barrier : NULL,
	    .xShmUnmap = m->iVersion >= 2 && m->xShmUnmap ? sim_shm_unmap : NULL,
	    .xFetch = m->iVersion >= 3 && m->xFetch ? sim_fetch : NULL,
	    .xUnfetch = m->iVersion >= 3 && m->xUnfetch ? sim_unfetch : NULL,
	};
	sf->base.pMethods = &sf->methods;
	return rc;
}

static int sim_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void) vfs;
	if (sim(LT_FAULT_IO, "sqlite xDelete", CALLER))
		return SQLITE_IOERR_DELETE;
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

/* ---- OpenSSL ---------------------------------------------------------------------------- */

/* A failed call leaves an error on the queue, flagged fatal as OpenSSL's own allocation and
 * internal failures are: crypt/ tells it from a tag or a signature that does not verify. */
static int ossl_fails(const char *what, const void *caller)
{
	if (!sim(LT_FAULT_OPENSSL, what, caller))
		return 0;
	ERR_raise_data(ERR_LIB_USER, ERR_R_INTERNAL_ERROR, "fault simulation: %s failed", what);
	return 1;
}

#define OSSL_WRAP(ret, name, fail, params, args)                                                   \
	ret __real_##name params;                                                                  \
	ret __wrap_##name params                                                                   \
	{                                                                                          \
		ret r;                                                                             \
		if (ossl_fails(#name, CALLER))                                                     \
			return fail;                                                               \
		in_openssl++;                                                                      \
		r = __real_##name args;                                                            \
		in_openssl--;                                                                      \
		return r;                                                                          \
	}

OSSL_WRAP(int, RAND_bytes, 0, (unsigned char *buf, int n), (buf, n))
OSSL_WRAP(EVP_CIPHER_CTX *, EVP_CIPHER_CTX_new, NULL, (void), ())
OSSL_WRAP(int, EVP_CIPHER_CTX_ctrl, 0, (EVP_CIPHER_CTX * ctx, int type, int arg, void *ptr),
	  (ctx, type, arg, ptr))
OSSL_WRAP(EVP_CIPHER *, EVP_CIPHER_fetch, NULL,
	  (OSSL_LIB_CTX * lib, const char *alg, const char *props), (lib, alg, props))
OSSL_WRAP(int, EVP_CipherInit_ex, 0,
	  (EVP_CIPHER_CTX * ctx, const EVP_CIPHER *c, ENGINE *e, const unsigned char *key,
	   const unsigned char *iv, int enc),
	  (ctx, c, e, key, iv, enc))
OSSL_WRAP(int, EVP_CipherUpdate, 0,
	  (EVP_CIPHER_CTX * ctx, unsigned char *out, int *outl, const unsigned char *in, int inl),
	  (ctx, out, outl, in, inl))
OSSL_WRAP(int, EVP_CipherFinal_ex, 0, (EVP_CIPHER_CTX * ctx, unsigned char *out, int *outl),
	  (ctx, out, outl))
OSSL_WRAP(int, EVP_EncryptInit_ex, 0,
	  (EVP_CIPHER_CTX * ctx, const EVP_CIPHER *c, ENGINE *e, const unsigned char *key,
	   const unsigned char *iv),
	  (ctx, c, e, key, iv))
OSSL_WRAP(int, EVP_EncryptFinal_ex, 0, (EVP_CIPHER_CTX * ctx, unsigned char *out, int *outl),
	  (ctx, out, outl))
OSSL_WRAP(int, EVP_DecryptInit_ex, 0,
	  (EVP_CIPHER_CTX * ctx, const EVP_CIPHER *c, ENGINE *e, const unsigned char *key,
	   const unsigned char *iv),
	  (ctx, c, e, key, iv))
OSSL_WRAP(int, EVP_DecryptFinal_ex, 0, (EVP_CIPHER_CTX * ctx, unsigned char *out, int *outl),
	  (ctx, out, outl))
OSSL_WRAP(int, EVP_Digest, 0,
	  (const void *data, size_t n, unsigned char *md, unsigned int *len, const EVP_MD *type,
	   ENGINE *e),
	  (data, n, md, len, type, e))
OSSL_WRAP(EVP_MD_CTX *, EVP_MD_CTX_new, NULL, (void), ())
OSSL_WRAP(int, EVP_DigestInit_ex, 0, (EVP_MD_CTX * ctx, const EVP_MD *type, ENGINE *e),
	  (ctx, type, e))
OSSL_WRAP(int, EVP_DigestUpdate, 0, (EVP_MD_CTX * ctx, const void *d, size_t n), (ctx, d, n))
OSSL_WRAP(int, EVP_DigestFinal_ex, 0, (EVP_MD_CTX * ctx, unsigned char *md, unsigned int *len),
	  (ctx, md, len))
OSSL_WRAP(int, EVP_DigestSignInit, 0,
	  (EVP_MD_CTX * ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e, EVP_PKEY *pkey),
	  (ctx, pctx, type, e, pkey))
OSSL_WRAP(int, EVP_DigestSign, 0,
	  (EVP_MD_CTX * ctx, unsigned char *sig, size_t *siglen, const unsigned char *tbs,
	   size_t tbslen),
	  (ctx, sig, siglen, tbs, tbslen))
OSSL_WRAP(int, EVP_DigestVerifyInit, 0,
	  (EVP_MD_CTX * ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e, EVP_PKEY *pkey),
	  (ctx, pctx, type, e, pkey))
OSSL_WRAP(int, EVP_DigestVerify, 0,
	  (EVP_MD_CTX * ctx, const unsigned char *sig, size_t siglen, const unsigned char *tbs,
	   size_t tbslen),
	  (ctx, sig, siglen, tbs, tbslen))
OSSL_WRAP(EVP_KDF *, EVP_KDF_fetch, NULL, (OSSL_LIB_CTX * lib, const char *alg, const char *props),
	  (lib, alg, props))
OSSL_WRAP(EVP_KDF_CTX *, EVP_KDF_CTX_new, NULL, (EVP_KDF * kdf), (kdf))
OSSL_WRAP(int, EVP_KDF_derive, 0,
	  (EVP_KDF_CTX * ctx, unsigned char *key, size_t len, const OSSL_PARAM params[]),
	  (ctx, key, len, params))
OSSL_WRAP(EVP_MAC *, EVP_MAC_fetch, NULL, (OSSL_LIB_CTX * lib, const char *alg, const char *props),
	  (lib, alg, props))
OSSL_WRAP(EVP_MAC_CTX *, EVP_MAC_CTX_new, NULL, (EVP_MAC * mac), (mac))
OSSL_WRAP(int, EVP_MAC_init, 0,
	  (EVP_MAC_CTX * ctx, const unsigned char *key, size_t len, const OSSL_PARAM params[]),
	  (ctx, key, len, params))
OSSL_WRAP(int, EVP_MAC_update, 0, (EVP_MAC_CTX * ctx, const unsigned char *d, size_t n),
	  (ctx, d, n))
OSSL_WRAP(int, EVP_MAC_final, 0, (EVP_MAC_CTX * ctx, unsigned char *out, size_t *outl, size_t size),
	  (ctx, out, outl, size))
OSSL_WRAP(EVP_PKEY *, EVP_PKEY_new_raw_private_key, NULL,
	  (int type, ENGINE *e, const unsigned char *priv, size_t len), (type, e, priv, len))
OSSL_WRAP(EVP_PKEY *, EVP_PKEY_new_raw_public_key, NULL,
	  (int type, ENGINE *e, const unsigned char *pub, size_t len), (type, e, pub, len))
OSSL_WRAP(int, EVP_PKEY_get_raw_public_key, 0,
	  (const EVP_PKEY *pkey, unsigned char *pub, size_t *len), (pkey, pub, len))
OSSL_WRAP(BIO *, BIO_new, NULL, (const BIO_METHOD *type), (type))
OSSL_WRAP(BIO *, BIO_new_mem_buf, NULL, (const void *buf, int len), (buf, len))
OSSL_WRAP(long, BIO_ctrl, 0, (BIO * b, int cmd, long larg, void *parg), (b, cmd, larg, parg))
OSSL_WRAP(int, PEM_write_bio_PUBKEY, 0, (BIO * b, const EVP_PKEY *pkey), (b, pkey))
OSSL_WRAP(EVP_PKEY *, PEM_read_bio_PUBKEY, NULL,
	  (BIO * b, EVP_PKEY **out, pem_password_cb *cb, void *u), (b, out, cb, u))

/* ---- SQLite ----------------------------------------------------------------------------- */

/* A call of store/ that fails returns what SQLite returns when the disk (SQLITE_IOERR) or the
 * memory (SQLITE_NOMEM) fails under it. */
static int sqlite_fails(const char *what, const void *caller)
{
	return sim(LT_FAULT_SQLITE, what, caller);
}

/* A bind that fails still calls the destructor of what it was given, as SQLite does. */
static void bind_failed(void (*destroy)(void *), void *p)
{
	if (destroy != SQLITE_STATIC && destroy != SQLITE_TRANSIENT && p)
		destroy(p);
}

int __real_sqlite3_open_v2(const char *name, sqlite3 **db, int flags, const char *vfs);
int __real_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st,
			      const char **tail);
int __real_sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned int prep,
			      sqlite3_stmt **st, const char **tail);
int __real_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
			void *arg, char **errmsg);
int __real_sqlite3_step(sqlite3_stmt *st);
int __real_sqlite3_bind_blob(sqlite3_stmt *st, int i, const void *p, int n, void (*d)(void *));
int __real_sqlite3_bind_text(sqlite3_stmt *st, int i, const char *p, int n, void (*d)(void *));
int __real_sqlite3_bind_int64(sqlite3_stmt *st, int i, sqlite3_int64 v);
int __real_sqlite3_bind_zeroblob(sqlite3_stmt *st, int i, int n);
int __real_sqlite3_wal_checkpoint_v2(sqlite3 *db, const char *name, int mode, int *log, int *ckpt);

/* A failed open still hands back a connection (SQLite's rule): the caller must close it. */
int __wrap_sqlite3_open_v2(const char *name, sqlite3 **db, int flags, const char *vfs)
{
	int rc = __real_sqlite3_open_v2(name, db, flags, vfs);

	if (rc == SQLITE_OK && sqlite_fails("sqlite3_open_v2", CALLER))
		return SQLITE_CANTOPEN;
	return rc;
}

int __wrap_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st,
			      const char **tail)
{
	if (sqlite_fails("sqlite3_prepare_v2", CALLER)) {
		*st = NULL;
		return SQLITE_NOMEM;
	}
	return __real_sqlite3_prepare_v2(db, sql, n, st, tail);
}

int __wrap_sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned int prep,
			      sqlite3_stmt **st, const char **tail)
{
	if (sqlite_fails("sqlite3_prepare_v3", CALLER)) {
		*st = NULL;
		return SQLITE_NOMEM;
	}
	return __real_sqlite3_prepare_v3(db, sql, n, prep, st, tail);
}

int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
			void *arg, char **errmsg)
{
	if (sqlite_fails("sqlite3_exec", CALLER)) {
		if (errmsg)
			*errmsg = NULL;
		return SQLITE_IOERR;
	}
	return __real_sqlite3_exec(db, sql, cb, arg, errmsg);
}

int __wrap_sqlite3_step(sqlite3_stmt *st)
{
	if (sqlite_fails("sqlite3_step", CALLER))
		return SQLITE_IOERR;
	return __real_sqlite3_step(st);
}

int __wrap_sqlite3_bind_blob(sqlite3_stmt *st, int i, const void *p, int n, void (*d)(void *))
{
	if (sqlite_fails("sqlite3_bind_blob", CALLER)) {
		bind_failed(d, (void *) p);
		return SQLITE_NOMEM;
	}
	return __real_sqlite3_bind_blob(st, i, p, n, d);
}

int __wrap_sqlite3_bind_text(sqlite3_stmt *st, int i, const char *p, int n, void (*d)(void *))
{
	if (sqlite_fails("sqlite3_bind_text", CALLER)) {
		bind_failed(d, (void *) p);
		return SQLITE_NOMEM;
	}
	return __real_sqlite3_bind_text(st, i, p, n, d);
}

int __wrap_sqlite3_bind_int64(sqlite3_stmt *st, int i, sqlite3_int64 v)
{
	if (sqlite_fails("sqlite3_bind_int64", CALLER))
		return SQLITE_NOMEM;
	return __real_sqlite3_bind_int64(st, i, v);
}

int __wrap_sqlite3_bind_zeroblob(sqlite3_stmt *st, int i, int n)
{
	if (sqlite_fails("sqlite3_bind_zeroblob", CALLER))
		return SQLITE_NOMEM;
	return __real_sqlite3_bind_zeroblob(st, i, n);
}

int __wrap_sqlite3_wal_checkpoint_v2(sqlite3 *db, const char *name, int mode, int *log, int *ckpt)
{
	if (sqlite_fails("sqlite3_wal_checkpoint_v2", CALLER)) {
		if (log)
			*log = -1;
		if (ckpt)
			*ckpt = -1;
		return SQLITE_IOERR;
	}
	return __real_sqlite3_wal_checkpoint_v2(db, name, mode, log, ckpt);
}

/* ---- installation ----------------------------------------------------------------------- */

/*
 * Before main(): the libraries' hooks must be in place before their first allocation. A hook
 * that cannot be installed stops the process when a simulation is asked for: its calls would
 * otherwise silently never fail.
 */
__attribute__((constructor)) static void faultsim_install(void)
{
	const char *failed = NULL;

	if (!CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free))
		failed = "CRYPTO_set_mem_functions";
	json_set_alloc_funcs(json_malloc, free);
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_mem) == SQLITE_OK) {
		sqlite3_mem_methods counted = sqlite_mem;

		counted.xMalloc = sqlite_malloc;
		counted.xRealloc = sqlite_realloc;
		if (sqlite3_config(SQLITE_CONFIG_MALLOC, &counted) != SQLITE_OK)
			failed = "SQLITE_CONFIG_MALLOC";
	} else {
		failed = "SQLITE_CONFIG_GETMALLOC";
	}
	real_vfs = sqlite3_vfs_find(NULL);
	if (real_vfs) {
		sim_vfs = *real_vfs;
		sim_vfs.zName = "lethe-faultsim";
		sim_vfs.szOsFile = (int) sizeof(struct sim_file) + real_vfs->szOsFile;
		sim_vfs.xOpen = sim_open;
		sim_vfs.xDelete = sim_delete;
		if (sqlite3_vfs_register(&sim_vfs, 1) != SQLITE_OK)
			failed = "sqlite3_vfs_register";
	} else {
		failed = "sqlite3_vfs_find";
	}
	installed = 1;
	if (failed && getenv("LETHE_FAULT_SIM")) {
		static const char msg[] =
		    "lethe-fault: cannot install the fault simulation hooks\n";

		if (__real_write(2, msg, sizeof(msg) - 1) < 0)
			abort();
		abort();
	}
}

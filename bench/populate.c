/*
 * populate.c - bench helper: fill a store with many objects quickly, for the sweep and
 * rotation benchmarks (a million durable puts through the API would take hours of fsyncs).
 *
 * It links the internal modules and does what a put commits, minus the per-object fsyncs:
 * each row carries a fresh random DEK wrapped under the store's real primary KEK (unlocked
 * from the keystore with the service keyfile, exactly as lethe_store_open() does), with the
 * AAD a put would use, so sweeps and rewraps work on real key material. Expired objects also
 * get a real LTH1 object file (encrypted under their DEK) at their real path, so a sweep pays
 * for real unlinks; live objects get no file (neither a sweep nor a rewrap ever touches it).
 * Rows go in by transactions of 10,000; files are made durable with one syncfs() at the end.
 * No audit record is written for these rows (the audit chain stays valid: it only covers
 * the records it has).
 *
 * usage: bench_populate STORE_DIR LIVE EXPIRED [FILE_BYTES]
 *   LIVE      objects retained for a year from now
 *   EXPIRED   objects whose retain_until has passed, interleaved with the live ones
 *   FILE_BYTES plaintext bytes of each expired object's file (default 4096; -1: no files)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/uuid.h"
#include "crypt/lth.h"
#include "crypt/prim.h"
#include "crypt/secmem.h"
#include "keys/keyfile.h"
#include "keys/keystore.h"
#include "keys/name.h"
#include "keys/rowauth.h"
#include "keys/wrap.h"
#include "store/db.h"
#include "store/objfile.h"

#define TX_ROWS 10000
#define DAY     INT64_C(86400)

struct populate {
	const char *dir;
	struct lt_config cfg;
	struct lt_db *db;
	char store_id[LETHE_ID_LEN + 1];
	uint32_t kek_version;
	uint8_t *kek;                 /* secmem */
	uint8_t *dek;                 /* secmem */
	struct lt_row_auth *row_auth; /* the rows carry their MACs, as a put's do */
	uint8_t *name_commit_key;     /* secmem: names are encrypted and committed, as a put's */
	int plain_fd;                 /* memfd holding the expired objects' plaintext */
	long file_bytes;              /* -1: no files */
};

static int fail(const char *what, enum lethe_err rc)
{
	fprintf(stderr, "bench_populate: %s: %s: %s\n", what, lethe_strerror(rc), lt_err_detail());
	return 1;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

/* The primary KEK, unwrapped the way lethe_store_open() and lt_kek_load() do it. */
static enum lethe_err load_kek(struct populate *p)
{
	char path[LT_PATH_MAX];
	uint8_t *key = lt_secmem_alloc(LT_SERVICE_KEY_LEN), *mk = lt_secmem_alloc(LT_MK_LEN);
	uint8_t *wrap = lt_secmem_alloc(LT_KEY_LEN);
	struct lt_slot_info who;
	struct lt_db_kek row;
	struct lt_keystore_kek keks[LT_KEYSTORE_KEKS_MAX];
	size_t nkeks = 0, i;
	enum lethe_err rc = LETHE_ERR_NOMEM;

	if (!key || !mk || !wrap)
		goto out;
	rc = lt_keyfile_read(p->cfg.keyfile, key);
	if (rc != LETHE_OK)
		goto out;
	snprintf(path, sizeof(path), "%s/keystore.luks", p->dir);
	rc = lt_keystore_unlock_service(path, key, mk, &who, p->store_id);
	if (rc == LETHE_OK)
		rc = lt_mk_derive(mk, p->store_id, LT_MK_ROW_MAC, wrap);
	if (rc == LETHE_OK)
		rc = lt_row_auth_new(wrap, &p->row_auth);
	if (rc == LETHE_OK)
		lt_row_auth_attach(p->row_auth, p->db);
	if (rc == LETHE_OK)
		rc = lt_mk_derive(mk, p->store_id, LT_MK_NAME_COMMIT, p->name_commit_key);
	if (rc == LETHE_OK)
		rc = lt_mk_derive(mk, p->store_id, LT_MK_KEK_WRAP, wrap);
	if (rc == LETHE_OK)
		rc = lt_db_kek_primary(p->db, &row);
	/* KEK versions live in the keystore; the database holds their metadata */
	if (rc == LETHE_OK)
		rc = lt_keystore_keks(path, keks, LT_KEYSTORE_KEKS_MAX, &nkeks);
	for (i = 0; rc == LETHE_OK && i < nkeks && keks[i].version != row.version; i++)
		;
	if (rc == LETHE_OK && i == nkeks)
		rc = LETHE_ERR_INTEGRITY;
	if (rc == LETHE_OK)
		rc = lt_kek_unwrap(wrap, p->store_id, row.version, keks[i].wrapped, p->kek);
	if (rc == LETHE_OK)
		p->kek_version = row.version;
out:
	lt_secmem_free(key, LT_SERVICE_KEY_LEN);
	lt_secmem_free(mk, LT_MK_LEN);
	lt_secmem_free(wrap, LT_KEY_LEN);
	return rc;
}

/* A real LTH1 file for @p row at its place under objects/, encrypted under p->dek. */
static enum lethe_err write_object_file(struct populate *p, struct lt_db_object *row)
{
	char path[LT_PATH_MAX], dir[LT_PATH_MAX];
	struct lt_lth_info info;
	uint8_t oid[16];
	enum lethe_err rc;
	int fd;

	rc = lt_obj_path(p->dir, row->id, path, sizeof(path));
	if (rc != LETHE_OK)
		return rc;
	snprintf(dir, sizeof(dir), "%.*s", (int) (strrchr(path, '/') - path), path);
	rc = lt_mkdir_p(dir, 0700);
	if (rc != LETHE_OK)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return lt_err_errno(LETHE_ERR_IO, errno, "%s", path);
	lt_uuid_parse(row->id, oid);
	if (lseek(p->plain_fd, 0, SEEK_SET) != 0)
		rc = lt_err_errno(LETHE_ERR_IO, errno, "lseek");
	if (rc == LETHE_OK)
		rc = lt_lth_encrypt(p->dek, oid, row->seg_log2, p->plain_fd, fd, 1, &info);
	close(fd);
	if (rc != LETHE_OK)
		return rc;
	row->size = info.plaintext_size;
	memcpy(row->sha256, info.ciphertext_sha256, 32);
	return LETHE_OK;
}

static enum lethe_err make_row(struct populate *p, struct lt_db_object *row, uint64_t i,
			       bool expired, int64_t now)
{
	char name[32];
	uint8_t salt[LT_SHA256_LEN];
	enum lethe_err rc;

	memset(row, 0, sizeof(*row));
	lt_uuid_generate(row->id);
	snprintf(row->group, sizeof(row->group), "default");
	snprintf(name, sizeof(name), "bench-%llu", (unsigned long long) i);
	row->seg_log2 = p->cfg.segment_log2;
	row->state = LETHE_STATE_LIVE;
	if (expired) {
		row->created_at = now - 400 * DAY + (int64_t) (i % 86400);
		row->retain_until = now - 35 * DAY + (int64_t) (i % 86400);
	} else {
		row->created_at = now - 30 * DAY + (int64_t) (i % 86400);
		row->retain_until = row->created_at + 365 * DAY;
	}
	rc = lt_key_generate(p->dek);
	/* the name as a put keeps it: encrypted under the DEK, committed to under its salt */
	if (rc == LETHE_OK)
		rc = lt_name_seal(p->dek, row->id, name, row->name_enc, &row->name_enc_len);
	if (rc == LETHE_OK)
		rc = lt_name_salt(p->name_commit_key, p->store_id, row->id, salt);
	if (rc == LETHE_OK)
		rc = lt_name_commit(salt, name, row->name_commit);
	row->has_name_enc = row->has_name_commit = rc == LETHE_OK;
	if (rc == LETHE_OK)
		rc = lt_dek_wrap(p->kek, p->store_id, row->id, row->group, p->kek_version, p->dek,
				 row->wrapped_dek);
	if (rc != LETHE_OK)
		return rc;
	row->kek_version = p->kek_version;
	row->has_dek = true;
	if (expired && p->file_bytes >= 0)
		return write_object_file(p, row);
	/* no file: the size a 4 KiB object would have, and a placeholder hash */
	row->size = 4096;
	return lt_sha256(row->id, LETHE_ID_LEN, row->sha256);
}

static int populate_rows(struct populate *p, uint64_t live, uint64_t expired)
{
	struct lt_db_object *row = calloc(1, sizeof(*row));
	uint64_t total = live + expired, i, made_expired = 0;
	int64_t now = (int64_t) time(NULL);
	double t0 = now_s();
	enum lethe_err rc = LETHE_OK;
	bool in_tx = false;

	if (!row)
		return fail("rows", LETHE_ERR_NOMEM);
	for (i = 0; rc == LETHE_OK && i < total; i++) {
		/* spread the expired objects evenly among the live ones */
		bool is_expired = made_expired * total < expired * (i + 1);

		if (!in_tx) {
			rc = lt_db_begin(p->db);
			if (rc != LETHE_OK)
				break;
			in_tx = true;
		}
		rc = make_row(p, row, i, is_expired, now);
		if (rc == LETHE_OK)
			rc = lt_db_object_insert(p->db, row);
		if (rc != LETHE_OK)
			break;
		made_expired += is_expired;
		if ((i + 1) % TX_ROWS == 0 || i + 1 == total) {
			rc = lt_db_commit(p->db);
			in_tx = false;
		}
		if ((i + 1) % 100000 == 0)
			fprintf(stderr, "bench_populate: %llu/%llu rows (%.0f/s)\n",
				(unsigned long long) (i + 1), (unsigned long long) total,
				(double) (i + 1) / (now_s() - t0));
	}
	if (in_tx)
		lt_db_rollback(p->db);
	free(row);
	if (rc != LETHE_OK)
		return fail("insert", rc);
	fprintf(stderr, "bench_populate: %llu live + %llu expired rows in %.1f s\n",
		(unsigned long long) (total - made_expired), (unsigned long long) made_expired,
		now_s() - t0);
	return 0;
}

static int plaintext_open(struct populate *p)
{
	uint8_t buf[4096];
	long left = p->file_bytes;

	p->plain_fd = memfd_create("bench-plaintext", MFD_CLOEXEC);
	if (p->plain_fd < 0)
		return -1;
	while (left > 0) {
		size_t n = left < (long) sizeof(buf) ? (size_t) left : sizeof(buf);

		if (lt_random(buf, n) != LETHE_OK || lt_write_all(p->plain_fd, buf, n) != LETHE_OK)
			return -1;
		left -= (long) n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct populate p;
	char path[LT_PATH_MAX];
	enum lethe_err rc;
	int ret = 1, dfd;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: bench_populate STORE_DIR LIVE EXPIRED [FILE_BYTES|-1]\n");
		return 2;
	}
	memset(&p, 0, sizeof(p));
	p.dir = argv[1];
	p.file_bytes = argc == 5 ? strtol(argv[4], NULL, 10) : 4096;
	p.plain_fd = -1;
	lt_config_defaults(&p.cfg);
	p.kek = lt_secmem_alloc(LT_KEY_LEN);
	p.dek = lt_secmem_alloc(LT_KEY_LEN);
	p.name_commit_key = lt_secmem_alloc(LT_KEY_LEN);
	if (!p.kek || !p.dek || !p.name_commit_key || plaintext_open(&p) != 0) {
		fprintf(stderr, "bench_populate: setup failed\n");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/lethe.conf", p.dir);
	rc = lt_config_load(path, &p.cfg);
	if (rc != LETHE_OK) {
		ret = fail("config", rc);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/meta.db", p.dir);
	rc = lt_db_open(path, false, &p.db);
	if (rc == LETHE_OK)
		rc = load_kek(&p);
	if (rc != LETHE_OK) {
		ret = fail("open", rc);
		goto out;
	}
	ret = populate_rows(&p, strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10));
	/* the WAL folded into the database, the object files on disk: a clean start */
	if (ret == 0 && (rc = lt_db_purge(p.db)) != LETHE_OK)
		ret = fail("checkpoint", rc);
	dfd = open(p.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		syncfs(dfd);
		close(dfd);
	}
out:
	if (p.plain_fd >= 0)
		close(p.plain_fd);
	lt_db_close(p.db);
	lt_row_auth_free(p.row_auth);
	lt_config_free(&p.cfg);
	lt_secmem_free(p.kek, LT_KEY_LEN);
	lt_secmem_free(p.dek, LT_KEY_LEN);
	lt_secmem_free(p.name_commit_key, LT_KEY_LEN);
	return ret;
}

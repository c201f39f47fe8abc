/* test_retention_manifest.c - evidence exports with one signed manifest: the files written,
 * incremental exports that chain, a non-empty directory refused, tampering caught by lethe
 * and by the README's OpenSSL-and-coreutils script alike. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/hex.h"
#include "crypt/prim.h"
#include "retention/cert.h"

#define N_CERTS      5
#define STORE_ID     "5702e000-0000-4000-8000-000000000001"
#define OTHER_ID     "d0000000-0000-4000-8000-000000000099"
#define T2026        INT64_C(1767225600) /* 2026-01-01T00:00:00Z */
#define DAY          86400
#define CHAIN_HEADER "lethe-disposal-chain 1\n"
#define ZEROS64      "0000000000000000000000000000000000000000000000000000000000000000"

/* Sign once with @p seed (a store signs through the key it keeps: struct lt_ed25519_key). */
static enum lethe_err sign_seed(const uint8_t seed[32], const void *msg, size_t len,
				uint8_t sig[64])
{
	struct lt_ed25519_key *key = NULL;
	enum lethe_err rc = lt_ed25519_key_new(seed, &key);

	if (rc == LETHE_OK)
		rc = lt_ed25519_key_sign(key, msg, len, sig);
	lt_ed25519_key_free(key);
	return rc;
}

/* ---- fixture: a 5-certificate chain signed with a fresh key ----------------------------- */

struct fixture {
	uint8_t seed[32];
	uint8_t pub[32];
	struct lt_ed25519_key *signer; /* the seed's, as a store keeps it */
	char *pem;
	char ids[N_CERTS][LETHE_ID_LEN + 1];
	char *json[N_CERTS];
	size_t len[N_CERTS];
	uint8_t sig[N_CERTS][64];
	struct lt_cert_item items[N_CERTS];
	char tmp[64]; /* private temporary directory, removed by teardown */
};

/* A string literal inside bytes that are not NUL-terminated (certificates are not). */
#define CONTAINS(buf, len, lit) memmem((buf), (len), (lit), sizeof(lit) - 1)

/* Certificate i of the test chain; #2 (seq 3) is an officer's forced early shred. */
static void fields_for(struct lt_cert_fields *f, size_t i, const uint8_t prev[32])
{
	memset(f, 0, sizeof(*f));
	snprintf(f->certificate_id, sizeof(f->certificate_id), "c0000000-0000-4000-8000-%012zx",
		 i + 1);
	f->seq = i + 1;
	strcpy(f->store_id, STORE_ID);
	snprintf(f->object_id, sizeof(f->object_id), "0b000000-0000-4000-8000-%012zx", i + 1);
	strcpy(f->group, i % 2 ? "finance" : "default");
	memset(f->name_sha256, 0x10 + (int) i, 32);
	f->version = 1;
	f->size = 1000 * (i + 1);
	memset(f->ciphertext_sha256, 0x20 + (int) i, 32);
	f->created_at = T2026 + (int64_t) i * 3600;
	f->policy_retention = 7 * DAY;
	f->retain_until = f->created_at + 7 * DAY;
	f->reason = "retention-expired";
	f->hold_checked_clear = true;
	strcpy(f->dek_id, f->object_id);
	f->kek_version = 1 + (uint32_t) i / 2;
	f->actor_uid = 998;
	f->actor_user = "lethe";
	f->actor_keyslot = "service";
	f->host = "files01.example.com";
	f->tool_version = "0.1.0";
	f->shredded_at = f->retain_until + 60;
	memcpy(f->prev_sha256, prev, 32);
	if (i == 2) {
		f->reason = "manual";
		f->reason_text = "case 2026-17: customer asked for erasure";
		f->forced = true;
		f->actor_keyslot = "alice";
		/* early, but not before the certificate ahead of it: a chain never goes back */
		f->shredded_at = f->retain_until - 60;
	}
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	uint8_t prev[32] = {0};
	struct lt_cert_fields f;

	if (fx == NULL || lt_ed25519_keygen(fx->seed, fx->pub) != LETHE_OK ||
	    lt_ed25519_key_new(fx->seed, &fx->signer) != LETHE_OK ||
	    lt_ed25519_pub_to_pem(fx->pub, &fx->pem) != LETHE_OK)
		return -1;
	for (size_t i = 0; i < N_CERTS; i++) {
		fields_for(&f, i, prev);
		if (lt_cert_build(&f, &fx->json[i], &fx->len[i]) != LETHE_OK ||
		    sign_seed(fx->seed, fx->json[i], fx->len[i], fx->sig[i]) != LETHE_OK ||
		    lt_sha256(fx->json[i], fx->len[i], prev) != LETHE_OK)
			return -1;
		strcpy(fx->ids[i], f.certificate_id);
		fx->items[i] = (struct lt_cert_item){fx->ids[i], (const uint8_t *) fx->json[i],
						     fx->len[i], fx->sig[i]};
	}
	strcpy(fx->tmp, "/tmp/lethe-manifest-test-XXXXXX");
	if (mkdtemp(fx->tmp) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	(void) nftw(fx->tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < N_CERTS; i++)
		free(fx->json[i]);
	free(fx->pem);
	lt_ed25519_key_free(fx->signer);
	free(fx);
	return 0;
}

/* ---- collecting problems ------------------------------------------------------------------ */

#define MAX_PROBLEMS 64

struct problems {
	size_t count;
	char where[MAX_PROBLEMS][128];
	char what[MAX_PROBLEMS][512];
};

static void collect(const char *where, const char *what, void *ctx)
{
	struct problems *p = ctx;

	if (p->count < MAX_PROBLEMS) {
		snprintf(p->where[p->count], sizeof(p->where[0]), "%s", where);
		snprintf(p->what[p->count], sizeof(p->what[0]), "%s", what);
	}
	p->count++;
}

static bool has_problem(const struct problems *p, const char *where, const char *what_part)
{
	for (size_t i = 0; i < p->count && i < MAX_PROBLEMS; i++) {
		/* "certificates.jsonl line 2" matches "certificates.jsonl line 2 (ID)" */
		if ((where == NULL || strcmp(where, p->where[i]) == 0 ||
		     (strncmp(where, p->where[i], strlen(where)) == 0 &&
		      p->where[i][strlen(where)] == ' ')) &&
		    strstr(p->what[i], what_part) != NULL)
			return true;
	}
	return false;
}

static void print_problems(const struct problems *p)
{
	for (size_t i = 0; i < p->count && i < MAX_PROBLEMS; i++)
		fprintf(stderr, "    problem: %s: %s\n", p->where[i], p->what[i]);
}

#define assert_problem(p, where, what)                                                             \
	do {                                                                                       \
		if (!has_problem((p), (where), (what))) {                                          \
			print_problems(p);                                                         \
			fail_msg("no problem \"%s: %s\"", (where) ? (where) : "*", (what));        \
		}                                                                                  \
	} while (0)

/* ---- files ------------------------------------------------------------------------------- */

static void path_in(char *out, size_t size, const char *dir, const char *name)
{
	assert_true(snprintf(out, size, "%s/%s", dir, name) < (int) size);
}

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
	char path[512];
	struct stat st;
	uint8_t *buf;
	FILE *f;

	path_in(path, sizeof(path), dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = malloc((size_t) st.st_size + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, (size_t) st.st_size, f);
	assert_int_equal(*len, (size_t) st.st_size);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

static void spit(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	path_in(path, sizeof(path), dir, name);
	(void) unlink(path);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void flip_in(const char *dir, const char *name, size_t offset)
{
	size_t len;
	uint8_t *buf = slurp(dir, name, &len);

	assert_true(offset < len);
	buf[offset] ^= 0x01;
	spit(dir, name, buf, len);
	free(buf);
}

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool have_tools(void)
{
	return system("command -v openssl > /dev/null 2>&1 && "
		      "command -v sha256sum > /dev/null 2>&1") == 0;
}

/* ---- exporting ---------------------------------------------------------------------------- */

/* Export items [from, from + count) of the fixture's chain into @p dir. */
static enum lethe_err export_range(struct fixture *fx, const char *dir, size_t from, size_t count,
				   uint8_t last[32])
{
	uint8_t prev[32];
	struct lt_cert_export e = {
	    .pub_pem = fx->pem,
	    .items = fx->items + from,
	    .count = count,
	    .first_seq = from + 1,
	    .signer = fx->signer,
	    .last_sha256 = last,
	};

	if (from > 0) {
		assert_int_equal(lt_sha256(fx->json[from - 1], fx->len[from - 1], prev), LETHE_OK);
		e.prev_sha256 = prev;
	}
	lt_err_clear();
	return lt_cert_export_dir(dir, &e);
}

static enum lethe_err verify_dir(const char *dir, struct problems *p, uint64_t *count)
{
	memset(p, 0, sizeof(*p));
	return lt_cert_verify_dir(dir, collect, p, count);
}

/* Run the README's script in @p dir with @p args; its exit status, its output in @p out. */
static int run_script(struct fixture *fx, const char *dir, const char *args, char *output,
		      size_t size)
{
	char cmd[1024];
	uint8_t *out;
	size_t len;
	int status;

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && sed -n '/^#---- begin/,/^#---- end/p' README.txt > '%s/verify.sh' "
		 "&& sh '%s/verify.sh' %s > '%s/script.out' 2>&1",
		 dir, fx->tmp, fx->tmp, args, fx->tmp);
	status = run(cmd);
	out = slurp(fx->tmp, "script.out", &len);
	snprintf(output, size, "%s", (char *) out);
	free(out);
	return status;
}

static void hex_of(const void *data, size_t len, char out[65])
{
	uint8_t h[32];

	assert_int_equal(lt_sha256(data, len, h), LETHE_OK);
	lt_hex(h, 32, out);
}

/* The manifest a full export of the fixture's first @p n certificates must write. */
static void expected_manifest(struct fixture *fx, size_t from, size_t n, char *out, size_t size)
{
	char prev[65] = ZEROS64, last[65] = ZEROS64, certs[65], sigs[65];
	uint8_t all[16384], allsig[64 * N_CERTS];
	size_t used = 0;

	if (from > 0)
		hex_of(fx->json[from - 1], fx->len[from - 1], prev);
	memcpy(last, prev, sizeof(last));
	for (size_t i = from; i < from + n; i++) {
		memcpy(all + used, fx->json[i], fx->len[i]);
		used += fx->len[i];
		memcpy(allsig + 64 * (i - from), fx->sig[i], 64);
		hex_of(fx->json[i], fx->len[i], last);
	}
	hex_of(all, used, certs);
	hex_of(allsig, 64 * n, sigs);
	snprintf(out, size,
		 "lethe-disposal-manifest 1\nfirst_seq %zu\nlast_seq %zu\ncount %zu\n"
		 "prev_sha256 %s\nlast_sha256 %s\n%s  certificates.jsonl\n%s  certificates.sig\n",
		 from + 1, from + n, n, prev, last, certs, sigs);
}

static void test_export_writes_manifest(void **state)
{
	struct fixture *fx = *state;
	char dir[128], expect[1024], output[1024], fpr[65], args[80];
	const char *names[] = {"README.txt",       "certificates.jsonl", "certificates.sig",
			       "evidence.pub.pem", "manifest.sig",       "manifest.txt"};
	struct problems p;
	uint64_t count = 99;
	uint8_t *buf;
	size_t len, entries = 0;
	struct stat st;
	char path[512];

	snprintf(dir, sizeof(dir), "%s/a/evidence", fx->tmp); /* created, parents too */
	assert_int_equal(export_range(fx, dir, 0, N_CERTS, NULL), LETHE_OK);
	assert_int_equal(verify_dir(dir, &p, &count), LETHE_OK);
	assert_int_equal(p.count, 0);
	assert_int_equal(count, N_CERTS);

	/* Six files, whatever the number of certificates. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in(path, sizeof(path), dir, names[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0644);
	}
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 6", dir);
		entries = (size_t) run(cmd);
		assert_int_equal(entries, 0);
	}
	expected_manifest(fx, 0, N_CERTS, expect, sizeof(expect));
	buf = slurp(dir, "manifest.txt", &len);
	assert_string_equal((char *) buf, expect);
	free(buf);
	buf = slurp(dir, "manifest.sig", &len);
	assert_int_equal(len, 64);
	assert_int_equal(lt_ed25519_verify(fx->pub, expect, strlen(expect), buf), LETHE_OK);
	free(buf);

	if (!have_tools())
		return;
	assert_int_equal(run_script(fx, dir, "", output, sizeof(output)), 0);
	assert_string_equal(output, "OK: 5 certificates, seq 1 to 5\n");
	lt_cert_fingerprint_hex(fx->pub, fpr);
	snprintf(args, sizeof(args), "%s", fpr);
	assert_int_equal(run_script(fx, dir, args, output, sizeof(output)), 0);
	args[0] = args[0] == '0' ? '1' : '0';
	assert_int_not_equal(run_script(fx, dir, args, output, sizeof(output)), 0);
	assert_non_null(strstr(output, "not the pinned"));
	/* One certificate on its own, as the README shows. */
	snprintf(expect, sizeof(expect),
		 "cd '%s' && sed -n 3p certificates.jsonl > '%s/c.json' && "
		 "tail -c +$(( 2 * 64 + 1 )) certificates.sig | head -c 64 > '%s/c.sig' && "
		 "openssl pkeyutl -verify -pubin -inkey evidence.pub.pem -rawin "
		 "-in '%s/c.json' -sigfile '%s/c.sig' > /dev/null 2>&1",
		 dir, fx->tmp, fx->tmp, fx->tmp, fx->tmp);
	assert_int_equal(run(expect), 0);
}

static void test_export_incremental(void **state)
{
	struct fixture *fx = *state;
	char a[128], b[128], c[128], output[1024], expect[1024];
	uint8_t last_a[32], last_b[32], *buf;
	char last_hex[65];
	struct problems p;
	uint64_t count;
	size_t len;

	snprintf(a, sizeof(a), "%s/first", fx->tmp);
	snprintf(b, sizeof(b), "%s/second", fx->tmp);
	assert_int_equal(export_range(fx, a, 0, 3, last_a), LETHE_OK);
	assert_int_equal(export_range(fx, b, 3, 2, last_b), LETHE_OK);
	assert_int_equal(verify_dir(b, &p, &count), LETHE_OK);
	assert_int_equal(count, 2);
	expected_manifest(fx, 3, 2, expect, sizeof(expect));
	buf = slurp(b, "manifest.txt", &len);
	assert_string_equal((char *) buf, expect);
	free(buf);
	/* The second export continues where the first ended. */
	lt_hex(last_a, 32, last_hex);
	assert_non_null(strstr(expect, last_hex));
	assert_non_null(strstr(expect, "prev_sha256 "));
	assert_memory_not_equal(last_a, last_b, 32);

	/* Nothing new: an export of no certificates still names where the chain stands. */
	snprintf(c, sizeof(c), "%s/nothing", fx->tmp);
	assert_int_equal(export_range(fx, c, N_CERTS, 0, NULL), LETHE_OK);
	assert_int_equal(verify_dir(c, &p, &count), LETHE_OK);
	assert_int_equal(count, 0);
	if (have_tools()) {
		assert_int_equal(run_script(fx, b, "", output, sizeof(output)), 0);
		assert_string_equal(output, "OK: 2 certificates, seq 4 to 5\n");
		assert_int_equal(run_script(fx, c, "", output, sizeof(output)), 0);
		assert_string_equal(output, "OK: 0 certificates, seq 6 to 5\n");
	}

	/* A tail that does not continue from prev_sha256 is refused. */
	{
		uint8_t wrong[32] = {1};
		struct lt_cert_export e = {fx->pem, fx->items + 3, 2, 4, wrong, fx->signer, NULL};

		snprintf(c, sizeof(c), "%s/unlinked", fx->tmp);
		assert_int_equal(lt_cert_export_dir(c, &e), LETHE_ERR_INTEGRITY);
		assert_int_equal(access(c, F_OK), -1);
		e.prev_sha256 = NULL;
		assert_int_equal(lt_cert_export_dir(c, &e), LETHE_ERR_INVALID);
	}
}

static void test_export_refuses_nonempty(void **state)
{
	struct fixture *fx = *state;
	char dir[128], path[512];
	uint8_t *buf;
	size_t len;

	/* A directory holding anything, an earlier export included, is not written to. */
	snprintf(dir, sizeof(dir), "%s/busy", fx->tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	spit(dir, "checkpoint-1.json", "{}", 2);
	assert_int_equal(export_range(fx, dir, 0, N_CERTS, NULL), LETHE_ERR_EXISTS);
	assert_non_null(strstr(lt_err_detail(), "not empty"));
	path_in(path, sizeof(path), dir, "manifest.txt");
	assert_int_equal(access(path, F_OK), -1);
	buf = slurp(dir, "checkpoint-1.json", &len);
	assert_memory_equal(buf, "{}", 2);
	free(buf);

	snprintf(dir, sizeof(dir), "%s/again", fx->tmp);
	assert_int_equal(export_range(fx, dir, 0, 3, NULL), LETHE_OK);
	assert_int_equal(export_range(fx, dir, 0, N_CERTS, NULL), LETHE_ERR_EXISTS);

	/* An empty directory is fine. */
	snprintf(dir, sizeof(dir), "%s/empty", fx->tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(export_range(fx, dir, 0, N_CERTS, NULL), LETHE_OK);
}

/* Re-sign manifest.txt as an insider holding the key would, after changing the files. */
static void resign_manifest(struct fixture *fx, const char *dir, size_t first, size_t n)
{
	char text[1024], certs[65], sigs[65], prev[65] = ZEROS64, last[65];
	uint8_t *c, *s, sig[64];
	size_t clen, slen;

	c = slurp(dir, "certificates.jsonl", &clen);
	s = slurp(dir, "certificates.sig", &slen);
	hex_of(c, clen, certs);
	hex_of(s, slen, sigs);
	if (first > 1)
		hex_of(fx->json[first - 2], fx->len[first - 2], prev);
	hex_of(fx->json[first + n - 2], fx->len[first + n - 2], last);
	free(c);
	free(s);
	snprintf(text, sizeof(text),
		 "lethe-disposal-manifest 1\nfirst_seq %zu\nlast_seq %zu\ncount %zu\n"
		 "prev_sha256 %s\nlast_sha256 %s\n%s  certificates.jsonl\n%s  certificates.sig\n",
		 first, first + n - 1, n, prev, last, certs, sigs);
	spit(dir, "manifest.txt", text, strlen(text));
	assert_int_equal(lt_ed25519_key_sign(fx->signer, text, strlen(text), sig), LETHE_OK);
	spit(dir, "manifest.sig", sig, sizeof(sig));
}

/* Drop certificate @p k (0-based) from the files. */
static void drop_cert(struct fixture *fx, const char *dir, size_t k)
{
	uint8_t all[16384], allsig[64 * N_CERTS];
	size_t used = 0, nsig = 0;

	for (size_t i = 0; i < N_CERTS; i++) {
		if (i == k)
			continue;
		memcpy(all + used, fx->json[i], fx->len[i]);
		used += fx->len[i];
		memcpy(allsig + 64 * nsig++, fx->sig[i], 64);
	}
	spit(dir, "certificates.jsonl", all, used);
	spit(dir, "certificates.sig", allsig, 64 * nsig);
}

static void test_manifest_tampers(void **state)
{
	struct fixture *fx = *state;
	char dir[128], output[1024];
	struct problems p;
	uint64_t count;
	bool tools = have_tools();

	/* A changed byte in a certificate. */
	snprintf(dir, sizeof(dir), "%s/flip", fx->tmp);
	assert_int_equal(export_range(fx, dir, 0, N_CERTS, NULL), LETHE_OK);
	flip_in(dir, "certificates.jsonl", fx->len[0] + 200);
	assert_int_equal(verify_dir(dir, &p, &count), LETHE_ERR_INTEGRITY);
	if (!has_problem(&p, "certificates.jsonl", "is not the file manifest.txt signs"))
		print_problems(&p);
	assert_true(has_problem(&p, "certificates.jsonl", "is not the file manifest.txt signs"));
	assert_true(has_problem(&p, "certificates.jsonl line 2", "signature does not verify"));
	if (tools) {
		assert_int_not_equal(run_script(fx, dir, "", output, sizeof(output)), 0);
		assert_non_null(strstr(output, "not the files manifest.txt signs"));
	}

	/* A changed signature. */
	snprintf(dir, sizeof(dir), "%s/sig", fx->tmp);
	assert_int_equal(export_range(fx, dir, 0, N_CERTS, NULL), LETHE_OK);
	flip_in(dir, "certificates.sig", 64 * 3 + 5);
	assert_int_equal(verify_dir(dir, &p, &count), LETHE_ERR_INTEGRITY);
	assert_true(has_problem(&p, "certificates.jsonl line 4", "signature does not verify"));

	/* The manifest changed. */
	snprintf(dir, sizeof(dir), "%s/manifest", fx->tmp);
	assert_int_equal(export_range(fx, dir, 0, N_CERTS, NULL), LETHE_OK);
	flip_in(dir, "manifest.txt", 40);
	assert_int_equal(verify_dir(dir, &p, &count), LETHE_ERR_INTEGRITY);
	assert_true(has_problem(&p, "manifest.sig", "does not verify"));
	if (tools) {
		assert_int_not_equal(run_script(fx, dir, "", output, sizeof(output)), 0);
		assert_non_null(strstr(output, "manifest.txt: bad signature"));
	}

	/* The newest certificate removed, without the key. */
	snprintf(dir, sizeof(dir), "%s/last", fx->tmp);
	assert_int_equal(export_range(fx, dir, 0, N_CERTS, NULL), LETHE_OK);
	drop_cert(fx, dir, N_CERTS - 1);
	assert_int_equal(verify_dir(dir, &p, &count), LETHE_ERR_INTEGRITY);
	assert_true(has_problem(&p, "certificates.jsonl", "holds 4 certificates"));
	if (tools)
		assert_int_not_equal(run_script(fx, dir, "", output, sizeof(output)), 0);

	/* An insider with the key removes the middle one and signs a consistent manifest: the
	 * chain inside still shows the gap. */
	snprintf(dir, sizeof(dir), "%s/insider", fx->tmp);
	assert_int_equal(export_range(fx, dir, 0, N_CERTS, NULL), LETHE_OK);
	drop_cert(fx, dir, 2);
	resign_manifest(fx, dir, 1, N_CERTS - 1);
	assert_int_equal(verify_dir(dir, &p, &count), LETHE_ERR_INTEGRITY);
	assert_true(has_problem(&p, "certificates.jsonl line 3", "seq is 4, expected 3"));
	if (tools) {
		assert_int_not_equal(run_script(fx, dir, "", output, sizeof(output)), 0);
		assert_non_null(strstr(output, "FAILED"));
	}

	/* Another export's file mixed in. */
	snprintf(dir, sizeof(dir), "%s/mixed", fx->tmp);
	assert_int_equal(export_range(fx, dir, 0, N_CERTS, NULL), LETHE_OK);
	spit(dir, "chain.sig", fx->sig[0], 64);
	spit(dir, "notes.json", "{}", 2);
	assert_int_equal(verify_dir(dir, &p, &count), LETHE_ERR_INTEGRITY);
	assert_true(has_problem(&p, "notes.json", "is not part of this export"));
	assert_true(has_problem(&p, "chain.sig", "is not part of this export"));

	/* Under another pinned key. */
	{
		uint8_t other_seed[32], other_pub[32];

		snprintf(dir, sizeof(dir), "%s/pinned", fx->tmp);
		assert_int_equal(export_range(fx, dir, 0, N_CERTS, NULL), LETHE_OK);
		memset(&p, 0, sizeof(p));
		assert_int_equal(lt_cert_verify_dir_key(dir, fx->pub, collect, &p, &count),
				 LETHE_OK);
		assert_int_equal(lt_ed25519_keygen(other_seed, other_pub), LETHE_OK);
		memset(&p, 0, sizeof(p));
		assert_int_equal(lt_cert_verify_dir_key(dir, other_pub, collect, &p, &count),
				 LETHE_ERR_INTEGRITY);
		assert_true(has_problem(&p, "manifest.sig", "does not verify"));
	}
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_export_writes_manifest),
	    T(test_export_incremental),
	    T(test_export_refuses_nonempty),
	    T(test_manifest_tampers),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

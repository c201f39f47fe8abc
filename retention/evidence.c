/* evidence.c - evidence directories: exporting one for auditors, and verifying one.
 *
 * The format is specified in cert.h. Everything read from an evidence directory is hostile
 * until verified: files are examined without following symlinks and must be regular files,
 * are read up to a fixed bound, and certificate files are named only by chain.txt entries that
 * are canonical UUIDs. Verification streams: memory for chain.txt and one certificate.
 */
#include "retention/cert.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/hex.h"
#include "common/uuid.h"
#include "crypt/prim.h"
#include "retention/cert_internal.h"

#define PUB_PEM_MAX 4096
#define PROBLEM_MAX 512

static const char PUB_FILE[] = "evidence.pub.pem";
static const char CHAIN_FILE[] = "chain.txt";
static const char CHAIN_SIG_FILE[] = "chain.sig";
static const char README_FILE[] = "README.txt";
/*
 * The first line of chain.txt. It says what the signed bytes are (the evidence key signs
 * certificates, this listing and audit checkpoints: none can pass for another), and it keeps
 * the listing of an empty chain non-empty: `openssl pkeyutl -rawin` cannot verify a signature
 * over zero bytes.
 */
static const char CHAIN_HEADER[] = "lethe-disposal-chain 1\n";
#define CHAIN_HEADER_LEN (sizeof(CHAIN_HEADER) - 1)

/* ---- reading an evidence directory -------------------------------------------------------- */

/*
 * Read file @p name of directory @p dirfd: a regular file (never through a symlink, never a
 * FIFO or device: those are refused before they are opened) of at most @p max bytes, into a
 * malloc'd buffer with a NUL after the data.
 * @return LETHE_OK; LETHE_ERR_NOT_FOUND (absent); LETHE_ERR_INTEGRITY (present but not an
 *         acceptable file; the detail says why); LETHE_ERR_IO; LETHE_ERR_NOMEM.
 */
static enum lethe_err read_entry(int dirfd, const char *name, size_t max, uint8_t **buf,
				 size_t *len)
{
	struct stat before, st;
	uint8_t *data = NULL;
	size_t got = 0;
	enum lethe_err rc;
	int fd = -1;

	*buf = NULL;
	*len = 0;
	if (fstatat(dirfd, name, &before, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return lt_err(LETHE_ERR_NOT_FOUND, "missing");
		return lt_err_errno(LETHE_ERR_IO, errno, "cannot examine");
	}
	if (S_ISLNK(before.st_mode))
		return lt_err(LETHE_ERR_INTEGRITY, "is a symbolic link");
	if (!S_ISREG(before.st_mode))
		return lt_err(LETHE_ERR_INTEGRITY, "is not a regular file");
	if ((uint64_t)before.st_size > max)
		return lt_err(LETHE_ERR_INTEGRITY, "is larger than %zu bytes", max);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ELOOP ? lt_err(LETHE_ERR_INTEGRITY, "is a symbolic link")
				    : lt_err_errno(LETHE_ERR_IO, errno, "cannot open");
		goto out;
	}
	/* Replaced between the two looks: refuse rather than read something unexamined. */
	if (fstat(fd, &st) != 0 || st.st_dev != before.st_dev || st.st_ino != before.st_ino ||
	    !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		rc = lt_err(LETHE_ERR_INTEGRITY, "changed while being read");
		goto out;
	}
	data = malloc((size_t)st.st_size + 2);
	if (data == NULL) {
		rc = lt_err(LETHE_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* One byte more than fstat said: a file still growing is caught here. */
	rc = lt_read_full(fd, data, (size_t)st.st_size + 1, &got);
	if (rc != LETHE_OK)
		goto out;
	if (got != (size_t)st.st_size) {
		rc = lt_err(LETHE_ERR_INTEGRITY, "changed while being read");
		goto out;
	}
	data[got] = 0;
	*buf = data;
	*len = got;
	data = NULL;
out:
	free(data);
	if (fd >= 0)
		(void)close(fd);
	return rc;
}

/* Report a file that cannot be used; I/O failures are told apart from tampering. */
static void report_file(struct lt_cert_chain *c, const char *name, enum lethe_err rc)
{
	if (rc == LETHE_ERR_IO)
		c->io_problems++;
	if (rc == LETHE_ERR_NOT_FOUND)
		lt_cert_report(c, name, "is missing");
	else
		lt_cert_report(c, name, "%s", lt_err_detail());
}

/* The certificates chain.txt lists, in order: ids point into chain.txt's bytes. */
struct listing {
	const char **ids; /* LETHE_ID_LEN bytes each, not NUL-terminated */
	uint64_t *seqs;   /* the seq on each one's line */
	size_t count;
	const char **sorted; /* the same, sorted, to find unlisted files */
};

static void listing_free(struct listing *l)
{
	free(l->ids);
	free(l->seqs);
	free(l->sorted);
	memset(l, 0, sizeof(*l));
}

/* A seq as chain.txt writes it: decimal, no sign, no leading zero, at most 2^53-1. */
static bool parse_seq(const char *s, size_t n, uint64_t *seq)
{
	uint64_t v = 0;

	if (n == 0 || n > 16 || (s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*seq = v;
	return v <= LT_CERT_UINT_MAX;
}

/* Check one line "<seq> <id>" (without its "\n"); NULL id if malformed. */
static const char *parse_line(struct lt_cert_chain *c, size_t line_no, const char *line, size_t n,
			      uint64_t *expected, uint64_t *seq)
{
	const char *space = memchr(line, ' ', n);
	char where[48];

	(void)snprintf(where, sizeof(where), "chain.txt line %zu", line_no);
	if (space == NULL || !parse_seq(line, (size_t)(space - line), seq) ||
	    !lt_uuid_valid_n(space + 1, n - (size_t)(space + 1 - line))) {
		lt_cert_report(c, where, "not \"<seq> <certificate-id>\"");
		(*expected)++;
		return NULL;
	}
	if (*seq != *expected)
		lt_cert_report(c, where, "seq %llu, expected %llu", (unsigned long long)*seq,
			       (unsigned long long)*expected);
	*expected = *seq + 1;
	return space + 1;
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(*(const char *const *)a, *(const char *const *)b, LETHE_ID_LEN);
}

/* Parse chain.txt into @p l, reporting a wrong first line, malformed lines and ids listed
 * twice. Lines are numbered as a text editor shows them, the first line being 1. */
static enum lethe_err listing_parse(struct lt_cert_chain *c, const char *text, size_t len,
				    struct listing *l)
{
	uint64_t expected = 1;
	size_t line_no = 0, max_lines = len / (LETHE_ID_LEN + 3) + 1;
	const char *p = text, *end = text + len;

	if (len >= CHAIN_HEADER_LEN && memcmp(text, CHAIN_HEADER, CHAIN_HEADER_LEN) == 0) {
		p += CHAIN_HEADER_LEN;
		line_no++;
	} else {
		/* Read on: the lines that follow still say which certificates were meant. */
		lt_cert_report(c, CHAIN_FILE, "does not start with the line \"%.*s\"",
			       (int)CHAIN_HEADER_LEN - 1, CHAIN_HEADER);
	}

	l->ids = calloc(max_lines, sizeof(*l->ids));
	l->seqs = calloc(max_lines, sizeof(*l->seqs));
	l->sorted = calloc(max_lines, sizeof(*l->sorted));
	if (l->ids == NULL || l->seqs == NULL || l->sorted == NULL)
		return lt_err(LETHE_ERR_NOMEM, "chain.txt: out of memory");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *id;
		uint64_t seq;

		line_no++;
		if (nl == NULL) {
			lt_cert_report(c, CHAIN_FILE, "the last line has no newline");
			break;
		}
		id = parse_line(c, line_no, p, (size_t)(nl - p), &expected, &seq);
		if (id != NULL && l->count < max_lines) {
			l->ids[l->count] = id;
			l->seqs[l->count++] = seq;
		}
		p = nl + 1;
	}
	memcpy(l->sorted, l->ids, l->count * sizeof(*l->ids));
	qsort(l->sorted, l->count, sizeof(*l->sorted), id_cmp);
	for (size_t i = 1; i < l->count; i++) {
		if (id_cmp(&l->sorted[i - 1], &l->sorted[i]) == 0)
			lt_cert_report(c, CHAIN_FILE, "lists %.*s more than once", LETHE_ID_LEN,
				       l->sorted[i]);
	}
	return LETHE_OK;
}

static bool listed(const struct listing *l, const char *id)
{
	return l->count > 0 &&
	       bsearch(&id, l->sorted, l->count, sizeof(*l->sorted), id_cmp) != NULL;
}

enum lethe_err lt_cert_fingerprint(const uint8_t pub[LT_ED25519_PUB_LEN],
				   uint8_t fpr[LT_SHA256_LEN])
{
	return lt_sha256(pub, LT_ED25519_PUB_LEN, fpr);
}

void lt_cert_fingerprint_hex(const uint8_t pub[LT_ED25519_PUB_LEN],
			     char hex[LT_CERT_FPR_HEX_LEN + 1])
{
	uint8_t fpr[LT_SHA256_LEN];

	hex[0] = '\0';
	if (lt_cert_fingerprint(pub, fpr) == LETHE_OK)
		lt_hex(fpr, sizeof(fpr), hex);
}

/* Read evidence.pub.pem into @p pub, or check it against @p pin. LETHE_ERR_INVALID if absent:
 * without it the directory is not an evidence directory at all. *have_key false: reported. */
static enum lethe_err load_pub(struct lt_cert_chain *c, int dirfd, const struct lt_cert_pin *pin,
			       uint8_t pub[LT_ED25519_PUB_LEN], bool *have_key)
{
	uint8_t *pem = NULL;
	size_t len;
	enum lethe_err rc;

	*have_key = false;
	rc = read_entry(dirfd, PUB_FILE, PUB_PEM_MAX, &pem, &len);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_INVALID, "not an evidence directory (no %s)", PUB_FILE);
	if (rc == LETHE_ERR_NOMEM)
		return rc;
	if (rc != LETHE_OK) {
		report_file(c, PUB_FILE, rc);
	} else if (lt_ed25519_pub_from_pem((const char *)pem, len, pub) != LETHE_OK) {
		lt_cert_report(c, PUB_FILE, "not a PEM Ed25519 public key");
	} else {
		*have_key = true;
	}
	free(pem);
	/* A pinned key is the one that counts: the directory's own copy proves nothing. */
	if (pin != NULL && pin->pub != NULL) {
		if (*have_key && memcmp(pub, pin->pub, LT_ED25519_PUB_LEN) != 0)
			lt_cert_report(c, PUB_FILE, "is not the expected evidence public key");
		memcpy(pub, pin->pub, LT_ED25519_PUB_LEN);
		*have_key = true;
	} else if (pin != NULL && pin->fpr != NULL && *have_key) {
		uint8_t fpr[LT_SHA256_LEN];
		char got[LT_CERT_FPR_HEX_LEN + 1], want[LT_CERT_FPR_HEX_LEN + 1];

		rc = lt_cert_fingerprint(pub, fpr);
		if (rc != LETHE_OK)
			return rc;
		if (memcmp(fpr, pin->fpr, LT_SHA256_LEN) != 0) {
			lt_hex(fpr, sizeof(fpr), got);
			lt_hex(pin->fpr, LT_SHA256_LEN, want);
			lt_cert_report(c, PUB_FILE,
				       "has fingerprint %s, not the pinned %s: this evidence was "
				       "signed by another key",
				       got, want);
		}
	}
	return LETHE_OK;
}

/* Read chain.txt and check chain.sig over its exact bytes. *text is NULL if unreadable. */
static enum lethe_err load_chain_txt(struct lt_cert_chain *c, int dirfd, uint8_t **text,
				     size_t *len)
{
	uint8_t *sig = NULL;
	size_t sig_len;
	enum lethe_err rc;

	rc = read_entry(dirfd, CHAIN_FILE, LT_CERT_CHAIN_MAX, text, len);
	if (rc == LETHE_ERR_NOMEM)
		return rc;
	if (rc != LETHE_OK) {
		report_file(c, CHAIN_FILE, rc);
		return LETHE_OK;
	}
	rc = read_entry(dirfd, CHAIN_SIG_FILE, LT_ED25519_SIG_LEN, &sig, &sig_len);
	if (rc == LETHE_ERR_NOMEM)
		return rc;
	if (rc == LETHE_ERR_NOT_FOUND) {
		lt_cert_report(c, CHAIN_SIG_FILE,
			       "is missing: the list of certificates is not signed");
	} else if (rc != LETHE_OK) {
		report_file(c, CHAIN_SIG_FILE, rc);
	} else if (sig_len != LT_ED25519_SIG_LEN) {
		lt_cert_report(c, CHAIN_SIG_FILE, "is %zu bytes, expected %d", sig_len,
			       LT_ED25519_SIG_LEN);
	} else {
		rc = lt_ed25519_verify(c->pub, *text, *len, sig);
		if (rc == LETHE_ERR_INTEGRITY)
			lt_cert_report(c, CHAIN_SIG_FILE,
				       "does not verify: chain.txt was changed, or a "
				       "certificate was removed from it");
		else if (rc != LETHE_OK)
			goto out;
	}
	rc = LETHE_OK;
out:
	free(sig);
	return rc;
}

/* Is @p name a certificate or signature file ("*.json", "*.sig" but chain.sig)? Then *stem_len
 * is the length of the name without the suffix. */
static bool is_cert_file(const char *name, size_t *stem_len)
{
	size_t n = strlen(name);

	if (strcmp(name, CHAIN_SIG_FILE) == 0)
		return false;
	if (n > 5 && strcmp(name + n - 5, ".json") == 0)
		*stem_len = n - 5;
	else if (n > 4 && strcmp(name + n - 4, ".sig") == 0)
		*stem_len = n - 4;
	else
		return false;
	return true;
}

/* Report certificate files on disk that chain.txt does not list. */
static enum lethe_err check_unlisted(struct lt_cert_chain *c, int dirfd, const struct listing *l)
{
	struct dirent *e;
	DIR *d;
	int fd;

	fd = dup(dirfd);
	if (fd < 0)
		return lt_err_errno(LETHE_ERR_IO, errno, "evidence directory: dup");
	d = fdopendir(fd);
	if (d == NULL) {
		(void)close(fd);
		return lt_err_errno(LETHE_ERR_IO, errno, "evidence directory: opendir");
	}
	rewinddir(d);
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		size_t stem_len;

		if (!is_cert_file(e->d_name, &stem_len))
			continue;
		if (!lt_uuid_valid_n(e->d_name, stem_len) || !listed(l, e->d_name))
			lt_cert_report(c, e->d_name, "is not listed in chain.txt");
		errno = 0;
	}
	if (errno != 0) {
		c->io_problems++;
		lt_cert_report(c, ".", "reading the directory failed: %s", strerror(errno));
	}
	(void)closedir(d);
	return LETHE_OK;
}

/* Read and check the certificate listed as "@p listed_seq @p id", next in the chain. */
static enum lethe_err check_listed_one(struct lt_cert_chain *c, int dirfd, const char *id,
				       uint64_t listed_seq, uint64_t *count)
{
	char json_name[LETHE_ID_LEN + 8], sig_name[LETHE_ID_LEN + 8];
	uint8_t *json = NULL, *sig = NULL;
	size_t json_len, sig_len;
	enum lethe_err rc;

	(void)snprintf(json_name, sizeof(json_name), "%s.json", id);
	(void)snprintf(sig_name, sizeof(sig_name), "%s.sig", id);
	rc = read_entry(dirfd, json_name, LT_CERT_JSON_MAX, &json, &json_len);
	if (rc != LETHE_OK && rc != LETHE_ERR_NOMEM) {
		report_file(c, json_name, rc);
		lt_cert_chain_skip(c);
		rc = LETHE_OK;
		goto out;
	}
	if (rc != LETHE_OK)
		goto out;
	(*count)++;
	rc = read_entry(dirfd, sig_name, LT_ED25519_SIG_LEN, &sig, &sig_len);
	if (rc == LETHE_ERR_NOMEM)
		goto out;
	if (rc != LETHE_OK) {
		report_file(c, sig_name, rc);
	} else if (sig_len != LT_ED25519_SIG_LEN) {
		lt_cert_report(c, sig_name, "is %zu bytes, expected %d", sig_len,
			       LT_ED25519_SIG_LEN);
		free(sig);
		sig = NULL;
	}
	rc = lt_cert_chain_check(c, id, id, json, json_len, rc == LETHE_OK ? sig : NULL);
	if (rc == LETHE_OK && c->last_has_seq && c->last_seq != listed_seq)
		lt_cert_report(c, id, "seq %llu differs from chain.txt's %llu",
			       (unsigned long long)c->last_seq, (unsigned long long)listed_seq);
out:
	free(json);
	free(sig);
	return rc;
}

static enum lethe_err check_listed(struct lt_cert_chain *c, int dirfd, const struct listing *l,
				   uint64_t *count)
{
	for (size_t i = 0; i < l->count; i++) {
		char id[LETHE_ID_LEN + 1];
		enum lethe_err rc;

		memcpy(id, l->ids[i], LETHE_ID_LEN);
		id[LETHE_ID_LEN] = '\0';
		rc = check_listed_one(c, dirfd, id, l->seqs[i], count);
		if (rc != LETHE_OK)
			return rc;
	}
	return LETHE_OK;
}

static enum lethe_err open_evidence_dir(const char *dir, int *dirfd)
{
	*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd >= 0)
		return LETHE_OK;
	if (errno == ENOENT || errno == ENOTDIR)
		return lt_err_errno(LETHE_ERR_INVALID, errno, "%s: not an evidence directory", dir);
	return lt_err_errno(LETHE_ERR_IO, errno, "%s", dir);
}

enum lethe_err lt_cert_verify_dir_pinned(const char *dir, const struct lt_cert_pin *pin,
					 lt_cert_problem_fn fn, void *ctx, uint64_t *count,
					 uint8_t used[LT_ED25519_PUB_LEN], bool *have_used)
{
	uint8_t pub[LT_ED25519_PUB_LEN] = {0};
	struct listing l = {0};
	uint8_t *chain_txt = NULL;
	size_t chain_len = 0;
	struct lt_cert_chain c;
	enum lethe_err rc;
	bool have_key;
	int dirfd;

	*count = 0;
	*have_used = false;
	lt_cert_chain_init(&c, pub, fn, ctx);
	rc = open_evidence_dir(dir, &dirfd);
	if (rc != LETHE_OK)
		return rc;
	rc = load_pub(&c, dirfd, pin, pub, &have_key);
	if (rc != LETHE_OK || !have_key)
		goto out;
	memcpy(used, pub, LT_ED25519_PUB_LEN);
	*have_used = true;
	rc = load_chain_txt(&c, dirfd, &chain_txt, &chain_len);
	if (rc == LETHE_OK && chain_txt != NULL)
		rc = listing_parse(&c, (const char *)chain_txt, chain_len, &l);
	if (rc == LETHE_OK)
		rc = check_unlisted(&c, dirfd, &l);
	if (rc == LETHE_OK)
		rc = check_listed(&c, dirfd, &l, count);
out:
	if (rc == LETHE_OK)
		rc = lt_cert_chain_result(&c);
	else
		lt_err_prefix("%s", dir);
	listing_free(&l);
	free(chain_txt);
	(void)close(dirfd);
	return rc;
}

enum lethe_err lt_cert_verify_dir_key(const char *dir, const uint8_t pin[LT_ED25519_PUB_LEN],
				      lt_cert_problem_fn fn, void *ctx, uint64_t *count)
{
	struct lt_cert_pin p = {pin, NULL};
	uint8_t used[LT_ED25519_PUB_LEN];
	bool have_used;

	return lt_cert_verify_dir_pinned(dir, &p, fn, ctx, count, used, &have_used);
}

enum lethe_err lt_cert_verify_dir(const char *dir, lt_cert_problem_fn fn, void *ctx,
				  uint64_t *count)
{
	return lt_cert_verify_dir_key(dir, NULL, fn, ctx, count);
}

/* ---- exporting an evidence directory ------------------------------------------------------ */

/* For auditors: every command here must keep working on exactly what lt_cert_export_dir
 * writes (the unit tests run the script). Fixed text, so a re-export writes the same bytes. */
static const char README_TEXT[] =
	"Disposal evidence exported by lethe\n"
	"===================================\n"
	"\n"
	"Each ID.json in this directory is a disposal certificate for one crypto-shredded\n"
	"object, modelled on the certificate of sanitization of NIST SP 800-88 Rev. 1\n"
	"(Appendix G): the object, its retention policy, why and when it was shredded, by whom,\n"
	"and which data key was destroyed (\"cryptographic erase\"). ID.sig is the Ed25519\n"
	"signature (64 raw bytes) of ID.json's exact bytes, made with the store's evidence key;\n"
	"evidence.pub.pem is its public half. Each certificate carries \"prev_sha256\", the\n"
	"SHA-256 of the previous certificate's exact bytes (64 zeros in the first), so that the\n"
	"certificates form a chain. chain.txt lists them in order: a first line\n"
	"\"lethe-disposal-chain 1\", then one \"<seq> <ID>\" line per certificate; chain.sig is\n"
	"the Ed25519 signature of chain.txt's exact bytes: removing the newest certificates,\n"
	"which breaks no prev_sha256, breaks chain.sig.\n"
	"\n"
	"Everything below needs only OpenSSL 3.0 or later and POSIX tools (sh, sha256sum, sed,\n"
	"cut, grep); not lethe.\n"
	"\n"
	"1. The key. A signature proves only that the key in evidence.pub.pem made it. Compare\n"
	"   the key's fingerprint (the SHA-256 of its raw 32 bytes, the last 32 of the DER\n"
	"   form) with one you obtained independently (at an earlier audit, or from the store's\n"
	"   security officer: lethe evidence export and verify print it):\n"
	"\n"
	"       openssl pkey -pubin -in evidence.pub.pem -outform DER | tail -c 32 | sha256sum\n"
	"\n"
	"2. One certificate:\n"
	"\n"
	"       openssl pkeyutl -verify -pubin -inkey evidence.pub.pem -rawin \\\n"
	"           -in ID.json -sigfile ID.sig\n"
	"\n"
	"   prints \"Signature Verified Successfully\" and exits with 0 when ID.json is intact.\n"
	"\n"
	"3. The whole chain: run the lines between the two markers below with sh, in this\n"
	"   directory (sed -n '/^#---- begin/,/^#---- end/p' README.txt > verify.sh; sh verify.sh).\n"
	"   Give it the pinned fingerprint (sh verify.sh FINGERPRINT) and it first checks that\n"
	"   evidence.pub.pem is that key. It checks chain.sig; then, for each line of chain.txt\n"
	"   in order, the certificate's\n"
	"   signature, that it is the certificate with that seq and id, and that its prev_sha256\n"
	"   is the sha256sum of the certificate before it; finally that every certificate file\n"
	"   is listed. It prints \"OK: N certificates\" and exits with 0 only if all of that holds.\n"
	"\n"
	"#---- begin verify.sh ----\n"
	"set -u\n"
	"fail() { echo \"FAILED: $*\" >&2; exit 1; }\n"
	"check_sig() {\n"
	"    openssl pkeyutl -verify -pubin -inkey evidence.pub.pem -rawin \\\n"
	"        -in \"$1\" -sigfile \"$2\" > /dev/null 2>&1 || fail \"$1: bad signature\"\n"
	"}\n"
	"if [ $# -gt 0 ]; then\n"
	"    want=$(printf '%s' \"$1\" | tr 'A-F' 'a-f')\n"
	"    got=$(openssl pkey -pubin -in evidence.pub.pem -outform DER | tail -c 32 |\n"
	"        sha256sum | cut -c1-64)\n"
	"    [ \"$got\" = \"$want\" ] ||\n"
	"        fail \"evidence.pub.pem: fingerprint $got, not the pinned $want\"\n"
	"fi\n"
	"check_sig chain.txt chain.sig\n"
	"prev=0000000000000000000000000000000000000000000000000000000000000000\n"
	"n=0\n"
	"{\n"
	"read -r first\n"
	"[ \"$first\" = \"lethe-disposal-chain 1\" ] || fail \"chain.txt: not a lethe chain\"\n"
	"while read -r seq id; do\n"
	"    n=$((n + 1))\n"
	"    [ \"$seq\" = \"$n\" ] || fail \"chain.txt line $n: seq $seq, expected $n\"\n"
	"    check_sig \"$id.json\" \"$id.sig\"\n"
	"    head='{\"type\":\"lethe-disposal-certificate\",\"version\":1,'\n"
	"    head=\"$head\"'\"certificate_id\":\"'\"$id\"'\",\"seq\":'\"$seq\"','\n"
	"    case \"$(cat \"$id.json\")\" in\n"
	"        \"$head\"*) ;;\n"
	"        *) fail \"$id.json: not certificate $seq $id\" ;;\n"
	"    esac\n"
	"    got=$(sed -n 's/.*\"prev_sha256\":\"\\([0-9a-f]*\\)\"}$/\\1/p' \"$id.json\")\n"
	"    [ \"$got\" = \"$prev\" ] || fail \"$id.json: prev_sha256 $got, expected $prev\"\n"
	"    prev=$(sha256sum < \"$id.json\" | cut -c1-64)\n"
	"done\n"
	"} < chain.txt\n"
	"for f in *.json *.sig; do\n"
	"    [ -e \"$f\" ] && [ \"$f\" != chain.sig ] || continue\n"
	"    sed 1d chain.txt | cut -d' ' -f2 | grep -Fqx -- \"${f%.*}\" ||\n"
	"        fail \"$f is not in chain.txt\"\n"
	"done\n"
	"echo \"OK: $n certificates\"\n"
	"#---- end verify.sh ----\n"
	"\n"
	"What this proves, and what it does not\n"
	"--------------------------------------\n"
	"- A changed, removed, reordered, duplicated or inserted certificate breaks a signature,\n"
	"  a seq or a prev_sha256; removing the newest ones also breaks chain.sig.\n"
	"- It cannot show that this export is the newest one: the files of an older export are\n"
	"  validly signed too. Compare the number of certificates and the last line of\n"
	"  chain.txt with what the store reports (lethe evidence list) or with the previous audit.\n"
	"- Without the pinned fingerprint it cannot show who signed: anyone can make a key and\n"
	"  sign a consistent set. Always pin it (sh verify.sh FINGERPRINT, or lethe evidence\n"
	"  verify DIR --fingerprint FINGERPRINT).\n"
	"- lethe evidence verify DIR makes the same checks and also checks every field of every\n"
	"  certificate (types, the fixed layout; that none was shredded before its retain_until\n"
	"  unless an officer forced it in a group that is not locked; that retain_until is not\n"
	"  earlier than created_at plus the stated retention; that no time goes backwards).\n"
	"\n"
	"Fields (times are RFC 3339 UTC, hashes lower-case hex SHA-256)\n"
	"---------------------------------------------------------------\n"
	"certificate_id, seq       this certificate and its position in the chain (from 1)\n"
	"store_id                  the lethe store that shredded the object\n"
	"object                    id, group, name_sha256 (the name itself is confidential),\n"
	"                          size (plaintext bytes), ciphertext_sha256, created_at,\n"
	"                          retain_until\n"
	"policy                    the group's retention (text and seconds) and lock (true:\n"
	"                          compliance mode, nobody may shred before retain_until)\n"
	"reason                    code (retention-expired or manual), text, forced (an\n"
	"                          officer's early shred)\n"
	"hold_check                legal holds on the object and its group were checked: none\n"
	"sanitization              method, standard, destroyed (the data key's id and the KEK\n"
	"                          version it was wrapped under), verification\n"
	"actor, host, tool         who (uid, user, keyslot), where, and with what\n"
	"shredded_at, prev_sha256  when, and the link to the previous certificate\n";

/* Record the first problem, to explain a refusal to export. */
struct first_problem {
	char text[PROBLEM_MAX];
	uint64_t count;
};

static void keep_first(const char *where, const char *what, void *ctx)
{
	struct first_problem *p = ctx;

	if (p->count++ == 0)
		(void)snprintf(p->text, sizeof(p->text), "%s: %s", where, what);
}

/* chain.txt: the header line, then "<seq> <id>\n" per certificate, in order. */
static enum lethe_err listing_build(const struct lt_cert_item *items, size_t count, char **out,
				    size_t *out_len)
{
	size_t cap = CHAIN_HEADER_LEN + count * (LETHE_ID_LEN + 20) + 1, used;
	char *text;

	if (count > LT_CERT_CHAIN_MAX / (LETHE_ID_LEN + 3))
		return lt_err(LETHE_ERR_INVALID, "more certificates than chain.txt can list");
	text = malloc(cap);
	if (text == NULL)
		return lt_err(LETHE_ERR_NOMEM, "chain.txt: out of memory");
	memcpy(text, CHAIN_HEADER, CHAIN_HEADER_LEN);
	used = CHAIN_HEADER_LEN;
	for (size_t i = 0; i < count; i++)
		used += (size_t)snprintf(text + used, cap - used, "%zu %s\n", i + 1, items[i].name);
	if (used > LT_CERT_CHAIN_MAX) {
		free(text);
		return lt_err(LETHE_ERR_INVALID, "chain.txt would exceed %zu bytes",
			      LT_CERT_CHAIN_MAX);
	}
	*out = text;
	*out_len = used;
	return LETHE_OK;
}

/* Sign nothing that does not verify: chain.sig vouches for every certificate it lists. */
static enum lethe_err export_check(const uint8_t pub[LT_ED25519_PUB_LEN],
				   const struct lt_cert_item *items, size_t count)
{
	struct first_problem first = {{0}, 0};
	enum lethe_err rc;

	for (size_t i = 0; i < count; i++) {
		if (!lt_uuid_valid(items[i].name))
			return lt_err(LETHE_ERR_INVALID,
				      "certificate %zu: name is not a lower-case "
				      "UUID",
				      i + 1);
		if (items[i].json == NULL || items[i].sig == NULL)
			return lt_err(LETHE_ERR_INVALID, "certificate %s: no bytes or signature",
				      items[i].name);
	}
	rc = lt_cert_verify_chain(pub, items, count, keep_first, &first);
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "refusing to export evidence that does not "
			      "verify (%llu problems; first: %s)",
			      (unsigned long long)first.count, first.text);
	return rc;
}

/* Write @p name in @p dir (atomically, 0644) unless it already holds exactly these bytes:
 * a re-export rewrites nothing that has not changed. */
static enum lethe_err write_entry(const char *dir, int dirfd, const char *name, const void *data,
				  size_t len)
{
	char path[PATH_MAX];
	uint8_t *old = NULL;
	size_t old_len;
	bool same;

	assert(data != NULL);
	if (read_entry(dirfd, name, len, &old, &old_len) == LETHE_OK) {
		same = old != NULL && old_len == len && memcmp(old, data, len) == 0;
		free(old);
		if (same)
			return LETHE_OK;
	}
	lt_err_clear();
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return lt_err(LETHE_ERR_INVALID, "%s/%s: path too long", dir, name);
	return lt_write_file_atomic(path, data, len, 0644);
}

/* Refuse a directory that holds another key's evidence: mixing two stores' files would
 * make both unverifiable. */
static enum lethe_err export_claim_dir(int dirfd, const char *dir, const char *pub_pem)
{
	uint8_t *old = NULL;
	size_t old_len;
	enum lethe_err rc;

	rc = read_entry(dirfd, PUB_FILE, PUB_PEM_MAX, &old, &old_len);
	if (rc == LETHE_ERR_NOT_FOUND)
		return LETHE_OK;
	if (rc == LETHE_OK &&
	    (old == NULL || old_len != strlen(pub_pem) || memcmp(old, pub_pem, old_len) != 0))
		rc = lt_err(LETHE_ERR_EXISTS, "%s/%s: evidence of another key is already there",
			    dir, PUB_FILE);
	else if (rc != LETHE_OK && rc != LETHE_ERR_NOMEM)
		rc = lt_err(LETHE_ERR_EXISTS, "%s/%s: %s", dir, PUB_FILE, lt_err_detail());
	free(old);
	return rc;
}

static enum lethe_err export_certs(const char *dir, int dirfd, const struct lt_cert_item *items,
				   size_t count)
{
	enum lethe_err rc = LETHE_OK;

	for (size_t i = 0; i < count && rc == LETHE_OK; i++) {
		char name[LETHE_ID_LEN + 8];

		(void)snprintf(name, sizeof(name), "%s.json", items[i].name);
		rc = write_entry(dir, dirfd, name, items[i].json, items[i].len);
		(void)snprintf(name, sizeof(name), "%s.sig", items[i].name);
		if (rc == LETHE_OK)
			rc = write_entry(dir, dirfd, name, items[i].sig, LT_ED25519_SIG_LEN);
	}
	return rc;
}

/* Sign chain.txt, and check that the signer holds the public key being published. */
static enum lethe_err sign_listing(struct lt_ed25519_key *signer,
				   const uint8_t pub[LT_ED25519_PUB_LEN], const char *listing,
				   size_t len, uint8_t sig[LT_ED25519_SIG_LEN])
{
	enum lethe_err rc;

	rc = lt_ed25519_key_sign(signer, listing, len, sig);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_ed25519_verify(pub, listing, len, sig);
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INVALID, "the evidence signing key does not match the "
						 "public key");
	return rc;
}

enum lethe_err lt_cert_export_dir(const char *dir, const char *pub_pem,
				  const struct lt_cert_item *items, size_t count,
				  struct lt_ed25519_key *signer)
{
	uint8_t pub[LT_ED25519_PUB_LEN], chain_sig[LT_ED25519_SIG_LEN];
	char *listing = NULL;
	size_t listing_len = 0;
	enum lethe_err rc;
	int dirfd = -1;

	if (dir == NULL || pub_pem == NULL || signer == NULL || (items == NULL && count > 0))
		return lt_err(LETHE_ERR_INVALID, "evidence export: missing argument");
	rc = lt_ed25519_pub_from_pem(pub_pem, strlen(pub_pem), pub);
	if (rc == LETHE_OK)
		rc = export_check(pub, items, count);
	if (rc == LETHE_OK)
		rc = listing_build(items, count, &listing, &listing_len);
	if (rc == LETHE_OK)
		rc = sign_listing(signer, pub, listing, listing_len, chain_sig);
	if (rc == LETHE_OK)
		rc = lt_mkdir_p(dir, 0755);
	if (rc == LETHE_OK)
		rc = open_evidence_dir(dir, &dirfd);
	if (rc != LETHE_OK)
		goto out;
	/* The key first, the listing and its signature last: an interrupted export leaves a
	 * directory that fails verification until the export is run again. */
	rc = export_claim_dir(dirfd, dir, pub_pem);
	if (rc == LETHE_OK)
		rc = write_entry(dir, dirfd, PUB_FILE, pub_pem, strlen(pub_pem));
	if (rc == LETHE_OK)
		rc = export_certs(dir, dirfd, items, count);
	if (rc == LETHE_OK)
		rc = write_entry(dir, dirfd, README_FILE, README_TEXT, sizeof(README_TEXT) - 1);
	if (rc == LETHE_OK)
		rc = write_entry(dir, dirfd, CHAIN_FILE, listing, listing_len);
	if (rc == LETHE_OK)
		rc = write_entry(dir, dirfd, CHAIN_SIG_FILE, chain_sig, sizeof(chain_sig));
out:
	if (dirfd >= 0)
		(void)close(dirfd);
	free(listing);
	return rc;
}

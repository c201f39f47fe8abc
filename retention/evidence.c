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
	if ((uint64_t) before.st_size > max)
		return lt_err(LETHE_ERR_INTEGRITY, "is larger than %zu bytes", max);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ELOOP ? lt_err(LETHE_ERR_INTEGRITY, "is a symbolic link")
				    : lt_err_errno(LETHE_ERR_IO, errno, "cannot open");
		goto out;
	}
	/* Replaced between the two looks: refuse rather than read something unexamined. */
	if (fstat(fd, &st) != 0 || st.st_dev != before.st_dev || st.st_ino != before.st_ino ||
	    !S_ISREG(st.st_mode) || (uint64_t) st.st_size > max) {
		rc = lt_err(LETHE_ERR_INTEGRITY, "changed while being read");
		goto out;
	}
	data = malloc((size_t) st.st_size + 2);
	if (data == NULL) {
		rc = lt_err(LETHE_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* One byte more than fstat said: a file still growing is caught here. */
	rc = lt_read_full(fd, data, (size_t) st.st_size + 1, &got);
	if (rc != LETHE_OK)
		goto out;
	if (got != (size_t) st.st_size) {
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
		(void) close(fd);
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
		v = v * 10 + (uint64_t) (s[i] - '0');
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

	(void) snprintf(where, sizeof(where), "chain.txt line %zu", line_no);
	if (space == NULL || !parse_seq(line, (size_t) (space - line), seq) ||
	    !lt_uuid_valid_n(space + 1, n - (size_t) (space + 1 - line))) {
		lt_cert_report(c, where, "not \"<seq> <certificate-id>\"");
		(*expected)++;
		return NULL;
	}
	if (*seq != *expected)
		lt_cert_report(c, where, "seq %llu, expected %llu", (unsigned long long) *seq,
			       (unsigned long long) *expected);
	*expected = *seq + 1;
	return space + 1;
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(*(const char *const *) a, *(const char *const *) b, LETHE_ID_LEN);
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
			       (int) CHAIN_HEADER_LEN - 1, CHAIN_HEADER);
	}

	l->ids = calloc(max_lines, sizeof(*l->ids));
	l->seqs = calloc(max_lines, sizeof(*l->seqs));
	l->sorted = calloc(max_lines, sizeof(*l->sorted));
	if (l->ids == NULL || l->seqs == NULL || l->sorted == NULL)
		return lt_err(LETHE_ERR_NOMEM, "chain.txt: out of memory");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		const char *id;
		uint64_t seq;

		line_no++;
		if (nl == NULL) {
			lt_cert_report(c, CHAIN_FILE, "the last line has no newline");
			break;
		}
		id = parse_line(c, line_no, p, (size_t) (nl - p), &expected, &seq);
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
	} else if (lt_ed25519_pub_from_pem((const char *) pem, len, pub) != LETHE_OK) {
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

/*
 * Check @p sig_file, the detached Ed25519 signature of @p signed_file (@p text, @p len bytes),
 * under c->pub. A signature missing (reported as @p missing, or like any unreadable file when
 * NULL), unreadable, of the wrong size or failing (then "@p signed_file was changed@p tail")
 * is reported; only a failure to check at all is returned.
 */
static enum lethe_err check_detached_sig(struct lt_cert_chain *c, int dirfd, const char *sig_file,
					 const char *signed_file, const uint8_t *text, size_t len,
					 const char *missing, const char *tail)
{
	uint8_t *sig = NULL;
	size_t sig_len;
	enum lethe_err rc;

	rc = read_entry(dirfd, sig_file, LT_ED25519_SIG_LEN, &sig, &sig_len);
	if (rc == LETHE_ERR_NOMEM)
		return rc;
	if (rc == LETHE_ERR_NOT_FOUND && missing) {
		lt_cert_report(c, sig_file, "%s", missing);
	} else if (rc != LETHE_OK) {
		report_file(c, sig_file, rc);
	} else if (sig_len != LT_ED25519_SIG_LEN) {
		lt_cert_report(c, sig_file, "is %zu bytes, expected %d", sig_len,
			       LT_ED25519_SIG_LEN);
	} else {
		rc = lt_ed25519_verify(c->pub, text, len, sig);
		if (rc == LETHE_ERR_INTEGRITY)
			lt_cert_report(c, sig_file, "does not verify: %s was changed%s",
				       signed_file, tail);
		else if (rc != LETHE_OK)
			goto out;
	}
	rc = LETHE_OK;
out:
	free(sig);
	return rc;
}

/* Read chain.txt and check chain.sig over its exact bytes. *text is NULL if unreadable. */
static enum lethe_err load_chain_txt(struct lt_cert_chain *c, int dirfd, uint8_t **text,
				     size_t *len)
{
	enum lethe_err rc;

	rc = read_entry(dirfd, CHAIN_FILE, LT_CERT_CHAIN_MAX, text, len);
	if (rc == LETHE_ERR_NOMEM)
		return rc;
	if (rc != LETHE_OK) {
		report_file(c, CHAIN_FILE, rc);
		return LETHE_OK;
	}
	return check_detached_sig(c, dirfd, CHAIN_SIG_FILE, CHAIN_FILE, *text, *len,
				  "is missing: the list of certificates is not signed",
				  ", or a certificate was removed from it");
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

/* A stream over the evidence directory @p dirfd from its start (its own descriptor: closedir()
 * leaves @p dirfd open). */
static enum lethe_err dir_open(int dirfd, DIR **out)
{
	int fd = dup(dirfd);

	*out = NULL;
	if (fd < 0)
		return lt_err_errno(LETHE_ERR_IO, errno, "evidence directory: dup");
	*out = fdopendir(fd);
	if (*out == NULL) {
		(void) close(fd);
		return lt_err_errno(LETHE_ERR_IO, errno, "evidence directory: opendir");
	}
	rewinddir(*out);
	return LETHE_OK;
}

/* Report certificate files on disk that chain.txt does not list. */
static enum lethe_err check_unlisted(struct lt_cert_chain *c, int dirfd, const struct listing *l)
{
	struct dirent *e;
	DIR *d;
	enum lethe_err rc;

	rc = dir_open(dirfd, &d);
	if (rc != LETHE_OK)
		return rc;
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
	(void) closedir(d);
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

	(void) snprintf(json_name, sizeof(json_name), "%s.json", id);
	(void) snprintf(sig_name, sizeof(sig_name), "%s.sig", id);
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
			       (unsigned long long) c->last_seq, (unsigned long long) listed_seq);
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

/* ---- the manifest format ------------------------------------------------------------------ */

static const char MANIFEST_FILE[] = "manifest.txt";
static const char MANIFEST_SIG_FILE[] = "manifest.sig";
static const char CERTS_FILE[] = "certificates.jsonl";
static const char CERTS_SIG_FILE[] = "certificates.sig";
/* What the manifest's signature covers besides the key: nothing else may be in the directory. */
static const char *const MANIFEST_SET[] = {PUB_FILE,   MANIFEST_FILE,  MANIFEST_SIG_FILE,
					   CERTS_FILE, CERTS_SIG_FILE, README_FILE};
#define MANIFEST_MAX 4096
/* How every certificate starts, up to its id (the version digit, at CERT_ID_VERSION_AT, is
 * 1 or 2). */
#define CERT_ID_PREFIX     "{\"type\":\"" LT_CERT_TYPE "\",\"version\":1,\"certificate_id\":\""
#define CERT_ID_VERSION_AT (sizeof("{\"type\":\"" LT_CERT_TYPE "\",\"version\":") - 1)

/* What manifest.txt says (see cert.h). */
struct manifest {
	uint64_t first_seq, last_seq, count;
	uint8_t prev_sha256[LT_SHA256_LEN], last_sha256[LT_SHA256_LEN];
	uint8_t certs_sha256[LT_SHA256_LEN], sigs_sha256[LT_SHA256_LEN];
};

/* The exact bytes of @p m's manifest.txt into @p buf (at least MANIFEST_MAX bytes). */
static size_t manifest_format(const struct manifest *m, char *buf)
{
	char prev[LT_CERT_HEX_LEN + 1], last[LT_CERT_HEX_LEN + 1];
	char certs[LT_CERT_HEX_LEN + 1], sigs[LT_CERT_HEX_LEN + 1];
	int n;

	lt_hex(m->prev_sha256, LT_SHA256_LEN, prev);
	lt_hex(m->last_sha256, LT_SHA256_LEN, last);
	lt_hex(m->certs_sha256, LT_SHA256_LEN, certs);
	lt_hex(m->sigs_sha256, LT_SHA256_LEN, sigs);
	n = snprintf(buf, MANIFEST_MAX,
		     "lethe-disposal-manifest 1\n"
		     "first_seq %llu\nlast_seq %llu\ncount %llu\n"
		     "prev_sha256 %s\nlast_sha256 %s\n"
		     "%s  %s\n%s  %s\n",
		     (unsigned long long) m->first_seq, (unsigned long long) m->last_seq,
		     (unsigned long long) m->count, prev, last, certs, CERTS_FILE, sigs,
		     CERTS_SIG_FILE);
	return n > 0 && n < MANIFEST_MAX ? (size_t) n : 0;
}

/* The LT_CERT_HEX_LEN digits at @p p, which need not end there. */
static enum lethe_err unhex_at(const char *p, uint8_t out[LT_SHA256_LEN])
{
	char hex[LT_CERT_HEX_LEN + 1];

	memcpy(hex, p, LT_CERT_HEX_LEN);
	hex[LT_CERT_HEX_LEN] = '\0';
	return lt_unhex(hex, out, LT_SHA256_LEN);
}

static bool manifest_hex_field(const char *text, const char *key, uint8_t out[LT_SHA256_LEN])
{
	const char *p = strstr(text, key);

	return p != NULL && strlen(p) >= strlen(key) + LT_CERT_HEX_LEN &&
	       unhex_at(p + strlen(key), out) == LETHE_OK;
}

/* Parse manifest.txt; only the one spelling manifest_format() writes is accepted. */
static bool manifest_parse(const char *text, size_t len, struct manifest *m)
{
	unsigned long long first, last, count;
	char again[MANIFEST_MAX];
	const char *p;
	size_t n;

	memset(m, 0, sizeof(*m));
	if (sscanf(text, "lethe-disposal-manifest 1\nfirst_seq %llu\nlast_seq %llu\ncount %llu\n",
		   &first, &last, &count) != 3)
		return false;
	m->first_seq = first;
	m->last_seq = last;
	m->count = count;
	if (!manifest_hex_field(text, "\nprev_sha256 ", m->prev_sha256) ||
	    !manifest_hex_field(text, "\nlast_sha256 ", m->last_sha256))
		return false;
	p = strstr(text, "\nlast_sha256 ");
	if (p == NULL || strlen(p) < 14 + 2 * (LT_CERT_HEX_LEN + 1))
		return false;
	p += 13 + LT_CERT_HEX_LEN + 1;
	if (unhex_at(p, m->certs_sha256) != LETHE_OK || (p = strchr(p, '\n')) == NULL ||
	    strlen(p + 1) < LT_CERT_HEX_LEN || unhex_at(p + 1, m->sigs_sha256) != LETHE_OK)
		return false;
	lt_err_clear();
	n = manifest_format(m, again);
	return n == len && memcmp(again, text, len) == 0;
}

/* Open @p name of @p dirfd for streaming, with read_entry()'s checks. */
static enum lethe_err open_entry(int dirfd, const char *name, FILE **f)
{
	struct stat before, st;
	int fd;

	*f = NULL;
	if (fstatat(dirfd, name, &before, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return lt_err(LETHE_ERR_NOT_FOUND, "missing");
		return lt_err_errno(LETHE_ERR_IO, errno, "cannot examine");
	}
	if (!S_ISREG(before.st_mode))
		return lt_err(LETHE_ERR_INTEGRITY, S_ISLNK(before.st_mode)
						       ? "is a symbolic link"
						       : "is not a regular file");
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? lt_err(LETHE_ERR_INTEGRITY, "is a symbolic link")
				      : lt_err_errno(LETHE_ERR_IO, errno, "cannot open");
	if (fstat(fd, &st) != 0 || st.st_dev != before.st_dev || st.st_ino != before.st_ino ||
	    !S_ISREG(st.st_mode)) {
		(void) close(fd);
		return lt_err(LETHE_ERR_INTEGRITY, "changed while being read");
	}
	*f = fdopen(fd, "rb");
	if (*f == NULL) {
		(void) close(fd);
		return lt_err(LETHE_ERR_NOMEM, "out of memory");
	}
	return LETHE_OK;
}

/* Read and check manifest.txt under manifest.sig. false: reported. */
static enum lethe_err load_manifest(struct lt_cert_chain *c, int dirfd, struct manifest *m,
				    bool *ok)
{
	uint8_t *text = NULL;
	size_t len;
	enum lethe_err rc;

	*ok = false;
	rc = read_entry(dirfd, MANIFEST_FILE, MANIFEST_MAX - 1, &text, &len);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_INVALID, "not an evidence directory (no %s or %s)",
			      MANIFEST_FILE, CHAIN_FILE);
	if (rc == LETHE_ERR_NOMEM)
		return rc;
	if (rc != LETHE_OK) {
		report_file(c, MANIFEST_FILE, rc);
		return LETHE_OK;
	}
	rc = check_detached_sig(c, dirfd, MANIFEST_SIG_FILE, MANIFEST_FILE, text, len, NULL, "");
	if (rc != LETHE_OK)
		goto out;
	if (!manifest_parse((const char *) text, len, m))
		lt_cert_report(c, MANIFEST_FILE, "is not a lethe-disposal-manifest 1");
	else
		*ok = true;
	rc = LETHE_OK;
out:
	free(text);
	return rc;
}

/* Report files the manifest does not account for: another export's files mixed in. */
static enum lethe_err check_manifest_set(struct lt_cert_chain *c, int dirfd)
{
	struct dirent *e;
	DIR *d;
	enum lethe_err rc;

	rc = dir_open(dirfd, &d);
	if (rc != LETHE_OK)
		return rc;
	while ((e = readdir(d)) != NULL) {
		bool known = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;

		for (size_t i = 0; i < sizeof(MANIFEST_SET) / sizeof(MANIFEST_SET[0]); i++)
			known = known || strcmp(e->d_name, MANIFEST_SET[i]) == 0;
		if (!known)
			lt_cert_report(c, e->d_name, "is not part of this export");
	}
	(void) closedir(d);
	return LETHE_OK;
}

/* Stream certificates.jsonl and certificates.sig through the chain check, hashing both. */
static enum lethe_err check_manifest_certs(struct lt_cert_chain *c, int dirfd,
					   const struct manifest *m, uint64_t *count)
{
	uint8_t certs_sha[LT_SHA256_LEN], sigs_sha[LT_SHA256_LEN], sig[LT_ED25519_SIG_LEN];
	struct lt_sha256 *hc = NULL, *hs = NULL;
	FILE *certs = NULL, *sigs = NULL;
	char *line = NULL, where[128];
	size_t cap = 0;
	ssize_t n;
	enum lethe_err rc;

	rc = open_entry(dirfd, CERTS_FILE, &certs);
	if (rc == LETHE_OK)
		rc = open_entry(dirfd, CERTS_SIG_FILE, &sigs);
	if (rc == LETHE_ERR_NOMEM)
		goto out;
	if (rc != LETHE_OK) {
		report_file(c, certs == NULL ? CERTS_FILE : CERTS_SIG_FILE, rc);
		rc = LETHE_OK;
		goto out;
	}
	rc = lt_sha256_new(&hc);
	if (rc == LETHE_OK)
		rc = lt_sha256_new(&hs);
	if (rc != LETHE_OK)
		goto out;
	while ((n = getline(&line, &cap, certs)) > 0) {
		bool have_sig;

		(*count)++;
		(void) snprintf(where, sizeof(where), "%s line %llu", CERTS_FILE,
				(unsigned long long) *count);
		/* Name the certificate too, when its line starts as every certificate does. */
		if ((size_t) n > sizeof(CERT_ID_PREFIX) - 1 + LETHE_ID_LEN &&
		    memcmp(line, CERT_ID_PREFIX, CERT_ID_VERSION_AT) == 0 &&
		    (line[CERT_ID_VERSION_AT] == '1' || line[CERT_ID_VERSION_AT] == '2') &&
		    memcmp(line + CERT_ID_VERSION_AT + 1, &CERT_ID_PREFIX[CERT_ID_VERSION_AT + 1],
			   sizeof(CERT_ID_PREFIX) - 2 - CERT_ID_VERSION_AT) == 0 &&
		    lt_uuid_valid_n(line + sizeof(CERT_ID_PREFIX) - 1, LETHE_ID_LEN))
			(void) snprintf(where + strlen(where), sizeof(where) - strlen(where),
					" (%.*s)", LETHE_ID_LEN, line + sizeof(CERT_ID_PREFIX) - 1);
		have_sig = fread(sig, 1, sizeof(sig), sigs) == sizeof(sig);
		rc = lt_sha256_update(hc, line, (size_t) n);
		if (rc == LETHE_OK && have_sig)
			rc = lt_sha256_update(hs, sig, sizeof(sig));
		if (rc != LETHE_OK)
			goto out;
		if (!have_sig)
			lt_cert_report(c, where, "has no signature in %s", CERTS_SIG_FILE);
		if ((size_t) n > LT_CERT_JSON_MAX || line[n - 1] != '\n') {
			lt_cert_report(c, where, "is not one certificate and a newline");
			lt_cert_chain_skip(c);
			continue;
		}
		rc = lt_cert_chain_check(c, where, NULL, (const uint8_t *) line, (size_t) n,
					 have_sig ? sig : NULL);
		if (rc != LETHE_OK)
			goto out;
	}
	if (ferror(certs) || ferror(sigs)) {
		c->io_problems++;
		lt_cert_report(c, CERTS_FILE, "reading failed");
	}
	while (fread(sig, 1, sizeof(sig), sigs) > 0) {
		rc = lt_sha256_update(hs, sig, sizeof(sig));
		if (rc != LETHE_OK)
			goto out;
		lt_cert_report(c, CERTS_SIG_FILE,
			       "holds more signatures than there are "
			       "certificates");
	}
	rc = lt_sha256_final(hc, certs_sha);
	if (rc == LETHE_OK)
		rc = lt_sha256_final(hs, sigs_sha);
	if (rc != LETHE_OK)
		goto out;
	if (memcmp(certs_sha, m->certs_sha256, LT_SHA256_LEN) != 0)
		lt_cert_report(c, CERTS_FILE, "is not the file %s signs", MANIFEST_FILE);
	if (memcmp(sigs_sha, m->sigs_sha256, LT_SHA256_LEN) != 0)
		lt_cert_report(c, CERTS_SIG_FILE, "is not the file %s signs", MANIFEST_FILE);
out:
	free(line);
	lt_sha256_free(hc);
	lt_sha256_free(hs);
	if (certs != NULL)
		(void) fclose(certs);
	if (sigs != NULL)
		(void) fclose(sigs);
	return rc;
}

static enum lethe_err verify_manifest(struct lt_cert_chain *c, int dirfd, uint64_t *count)
{
	struct manifest m;
	enum lethe_err rc;
	bool ok;

	rc = load_manifest(c, dirfd, &m, &ok);
	if (rc != LETHE_OK || !ok)
		return rc;
	rc = check_manifest_set(c, dirfd);
	if (rc != LETHE_OK)
		return rc;
	if (m.count != m.last_seq + 1 - m.first_seq || m.first_seq == 0)
		lt_cert_report(c, MANIFEST_FILE, "first_seq, last_seq and count disagree");
	/* An incremental export continues the chain where the one before it ended. */
	c->expected_seq = m.first_seq;
	memcpy(c->prev_sha256, m.prev_sha256, LT_SHA256_LEN);
	rc = check_manifest_certs(c, dirfd, &m, count);
	if (rc != LETHE_OK)
		return rc;
	if (*count != m.count)
		lt_cert_report(c, CERTS_FILE, "holds %llu certificates, the manifest says %llu",
			       (unsigned long long) *count, (unsigned long long) m.count);
	if (c->prev_known && memcmp(c->prev_sha256, m.last_sha256, LT_SHA256_LEN) != 0)
		lt_cert_report(c, MANIFEST_FILE,
			       "last_sha256 is not the SHA-256 of the last "
			       "certificate");
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
	if (faccessat(dirfd, MANIFEST_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(dirfd, MANIFEST_SIG_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(dirfd, CERTS_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		/* The manifest format, which exports write now; otherwise the one before it. */
		rc = verify_manifest(&c, dirfd, count);
		goto out;
	}
	rc = load_chain_txt(&c, dirfd, &chain_txt, &chain_len);
	if (rc == LETHE_OK && chain_txt != NULL)
		rc = listing_parse(&c, (const char *) chain_txt, chain_len, &l);
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
	(void) close(dirfd);
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
 * writes (the tests run the script). Fixed text, so an export's bytes depend only on its
 * certificates. */
static const char README_TEXT[] =
    "Disposal evidence exported by lethe\n"
    "===================================\n"
    "\n"
    "Each line of certificates.jsonl is a disposal certificate for one crypto-shredded\n"
    "object, modelled on the certificate of sanitization of NIST SP 800-88 Rev. 1\n"
    "(Appendix G): the object, its retention policy, why and when it was shredded, by whom,\n"
    "and which data key was destroyed (\"cryptographic erase\"). A certificate's exact bytes\n"
    "are its line, newline included. Each carries \"seq\", its position in the store's chain\n"
    "(from 1), and \"prev_sha256\", the SHA-256 of the previous certificate's bytes (64 zeros\n"
    "in the first), so that the certificates form a chain. certificates.sig holds each\n"
    "certificate's Ed25519 signature, 64 raw bytes each, in the same order.\n"
    "\n"
    "manifest.txt describes this export and manifest.sig is its Ed25519 signature (64 raw\n"
    "bytes), made with the store's evidence key; evidence.pub.pem is the public half:\n"
    "\n"
    "    lethe-disposal-manifest 1\n"
    "    first_seq N          the seq of the first certificate here\n"
    "    last_seq N           and of the last (first_seq - 1 when there are none)\n"
    "    count N              last_seq - first_seq + 1\n"
    "    prev_sha256 HEX      SHA-256 of certificate first_seq - 1 (zeros when first_seq is 1)\n"
    "    last_sha256 HEX      SHA-256 of certificate last_seq (prev_sha256 when there are none)\n"
    "    HEX  certificates.jsonl\n"
    "    HEX  certificates.sig\n"
    "\n"
    "An export holds the certificates from first_seq on: all of them (first_seq 1), or those\n"
    "issued since an earlier export. Exports chain like certificates do: an export's\n"
    "prev_sha256 is the last_sha256 of the export that ends at first_seq - 1.\n"
    "\n"
    "Everything below needs only OpenSSL 3.0 or later, GNU coreutils and sed; not lethe.\n"
    "\n"
    "1. The key. A signature proves only that the key in evidence.pub.pem made it. Compare\n"
    "   the key's fingerprint (the SHA-256 of its raw 32 bytes, the last 32 of the DER\n"
    "   form) with one you obtained independently (at an earlier audit, or from the store's\n"
    "   security officer: lethe evidence export and verify print it):\n"
    "\n"
    "       openssl pkey -pubin -in evidence.pub.pem -outform DER | tail -c 32 | sha256sum\n"
    "\n"
    "2. The export: run the lines between the two markers below with sh, in this directory\n"
    "   (sed -n '/^#---- begin/,/^#---- end/p' README.txt > verify.sh; sh verify.sh\n"
    "   FINGERPRINT). Given the fingerprint, it first checks that evidence.pub.pem is that\n"
    "   key. It checks manifest.sig, then that certificates.jsonl and certificates.sig are\n"
    "   the files the manifest signs (sha256sum -c); then, recomputing the SHA-256 of every\n"
    "   certificate, that each is a version 1 or 2 certificate carrying the next seq from\n"
    "   first_seq to last_seq, that its prev_sha256 is the SHA-256 of the certificate before\n"
    "   it (prev_sha256 for the first), and that last_sha256 is the last one's. It prints\n"
    "   \"OK: N certificates, seq FIRST to LAST\" and exits with 0 only if all of that holds.\n"
    "   It needs about 200 MB per million certificates in $TMPDIR (default /dev/shm).\n"
    "\n"
    "3. One certificate, to show it to someone without the rest (line K, counting from 1):\n"
    "\n"
    "       sed -n Kp certificates.jsonl > cert.json\n"
    "       tail -c +$(( (K - 1) * 64 + 1 )) certificates.sig | head -c 64 > cert.sig\n"
    "       openssl pkeyutl -verify -pubin -inkey evidence.pub.pem -rawin \\\n"
    "           -in cert.json -sigfile cert.sig\n"
    "\n"
    "   prints \"Signature Verified Successfully\" and exits with 0 when cert.json is intact.\n"
    "\n"
    "4. The name of one object. A version 2 certificate states name_commit, the HMAC-SHA256\n"
    "   of the object's name under a salt of that object alone, which only the store's keys\n"
    "   give: the certificate does not confirm a guessed name. To prove that it is the\n"
    "   certificate of a file NAME, the store's officer reveals that one salt (lethe\n"
    "   evidence prove-name ID NAME prints it), and anyone checks:\n"
    "\n"
    "       printf '%s' 'NAME' | openssl mac -digest SHA256 -macopt hexkey:SALT HMAC\n"
    "\n"
    "   prints the certificate's name_commit (in upper case) exactly when NAME is the name.\n"
    "   A version 1 certificate (lethe 0.1) states name_sha256, the unsalted SHA-256 of the\n"
    "   name: printf '%s' 'NAME' | sha256sum.\n"
    "\n"
    "#---- begin verify.sh ----\n"
    "set -u\n"
    "export LC_ALL=C\n"
    "fail() { echo \"FAILED: $*\" >&2; exit 1; }\n"
    "same() { [ \"$(sha256sum < \"$1\")\" = \"$(sha256sum < \"$2\")\" ]; }\n"
    "if [ $# -gt 0 ]; then\n"
    "    want=$(printf '%s' \"$1\" | tr 'A-F' 'a-f')\n"
    "    got=$(openssl pkey -pubin -in evidence.pub.pem -outform DER | tail -c 32 |\n"
    "        sha256sum | cut -c1-64)\n"
    "    [ \"$got\" = \"$want\" ] ||\n"
    "        fail \"evidence.pub.pem: fingerprint $got, not the pinned $want\"\n"
    "fi\n"
    "openssl pkeyutl -verify -pubin -inkey evidence.pub.pem -rawin -in manifest.txt \\\n"
    "    -sigfile manifest.sig > /dev/null 2>&1 || fail \"manifest.txt: bad signature\"\n"
    "[ \"$(head -n 1 manifest.txt)\" = \"lethe-disposal-manifest 1\" ] ||\n"
    "    fail \"manifest.txt: not a lethe manifest\"\n"
    "field() { sed -n \"s/^$1 \\([0-9a-f]*\\)\\$/\\1/p\" manifest.txt; }\n"
    "first=$(field first_seq); last=$(field last_seq); count=$(field count)\n"
    "prev=$(field prev_sha256); final=$(field last_sha256)\n"
    "tail -n 2 manifest.txt | sha256sum --check --strict --quiet > /dev/null 2>&1 ||\n"
    "    fail \"certificates.jsonl or certificates.sig: not the files manifest.txt signs\"\n"
    "n=$(wc -l < certificates.jsonl)\n"
    "[ $((n)) -eq $((count)) ] && [ $((count)) -eq $((last - first + 1)) ] ||\n"
    "    fail \"certificates.jsonl: $((n)) certificates, manifest.txt says $count\"\n"
    "# Scratch space: 10,000 certificates at a time, and three lines of 65 bytes per one;\n"
    "# in memory (/dev/shm) unless TMPDIR says otherwise: creating files on a disk is slow.\n"
    "scratch=${TMPDIR:-/dev/shm}\n"
    "[ -d \"$scratch\" ] && [ -w \"$scratch\" ] || scratch=/tmp\n"
    "tmp=$(mktemp -d \"$scratch/lethe-verify.XXXXXX\") || fail \"no temporary directory\"\n"
    "trap 'rm -rf \"$tmp\"' EXIT\n"
    "export tmp\n"
    "# Each line starts "
    "{\"type\":\"lethe-disposal-certificate\",\"version\":V,\"certificate_id\":\n"
    "# \"ID\",\"seq\":N, and ends \"prev_sha256\":\"HEX\"}: cut and sed find them cheaply.\n"
    "# (V is 1, or 2 since certificates commit to names under a salt; a chain holds both)\n"
    "cut -d, -f1-2 certificates.jsonl | uniq |\n"
    "    sed '/^{\"type\":\"lethe-disposal-certificate\",\"version\":[12]$/d' > \"$tmp/got\"\n"
    "[ -s \"$tmp/got\" ] &&\n"
    "    fail \"certificates.jsonl: not all lines are version 1 or 2 certificates\"\n"
    "seq \"$first\" \"$last\" > \"$tmp/want\"\n"
    "cut -d, -f4 certificates.jsonl | sed -n 's/^\"seq\":\\([0-9]*\\)$/\\1/p' > \"$tmp/got\"\n"
    "same \"$tmp/want\" \"$tmp/got\" ||\n"
    "    fail \"certificates.jsonl: not certificates $first to $last, in order\"\n"
    "# The SHA-256 of each certificate: split hands 10,000 lines at a time to a shell that\n"
    "# splits them into one file each (reusing the names) and hashes the files it wrote.\n"
    "mkdir \"$tmp/d\"\n"
    "SHELL=/bin/sh split -l 10000 -a 6 -d --filter='cd \"$tmp/d\" &&\n"
    "    sha256sum $(split --verbose -l 1 -a 4 -d - c | cut -c16-20) | cut -c1-64' \\\n"
    "    certificates.jsonl > \"$tmp/hashes\" || fail \"certificates.jsonl: cannot hash\"\n"
    "{ echo \"$prev\"; cat \"$tmp/hashes\"; } | head -n $((count)) > \"$tmp/want\"\n"
    "sed 's/.*\"prev_sha256\":\"//' certificates.jsonl | cut -c1-64 > \"$tmp/got\"\n"
    "same \"$tmp/want\" \"$tmp/got\" ||\n"
    "    fail \"certificates.jsonl: a prev_sha256 is not the previous certificate's SHA-256\"\n"
    "{ echo \"$prev\"; cat \"$tmp/hashes\"; } | tail -n 1 > \"$tmp/got\"\n"
    "[ \"$(cat \"$tmp/got\")\" = \"$final\" ] ||\n"
    "    fail \"manifest.txt: last_sha256 is not the last certificate's SHA-256\"\n"
    "echo \"OK: $count certificates, seq $first to $last\"\n"
    "#---- end verify.sh ----\n"
    "\n"
    "What this proves, and what it does not\n"
    "--------------------------------------\n"
    "- A changed, removed, reordered, duplicated or inserted certificate breaks manifest.sig's\n"
    "  file hashes, a seq or a prev_sha256.\n"
    "- It cannot show that this export is the newest one: an older export is validly signed\n"
    "  too. Compare last_seq with what the store reports (lethe evidence list) or with the\n"
    "  previous audit, and check that this export's prev_sha256 is the previous export's\n"
    "  last_sha256.\n"
    "- Without the pinned fingerprint it cannot show who signed: anyone can make a key and\n"
    "  sign a consistent set. Always pin it (sh verify.sh FINGERPRINT, or lethe evidence\n"
    "  verify DIR --fingerprint FINGERPRINT).\n"
    "- lethe evidence verify DIR makes the same checks, checks every certificate's own\n"
    "  signature, and checks every field of every certificate (types, the fixed layout; that\n"
    "  none was shredded before its retain_until unless an officer forced it in a group that\n"
    "  is not locked; that retain_until is not earlier than created_at plus the stated\n"
    "  retention; that no time goes backwards).\n"
    "\n"
    "Fields (times are RFC 3339 UTC, hashes lower-case hex SHA-256)\n"
    "---------------------------------------------------------------\n"
    "certificate_id, seq       this certificate and its position in the chain (from 1)\n"
    "store_id                  the lethe store that shredded the object\n"
    "object                    id, group, name_commit (version 2; name_sha256 in version\n"
    "                          1: the name itself is confidential, see 4. above),\n"
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
		(void) snprintf(p->text, sizeof(p->text), "%s: %s", where, what);
}

/* Sign nothing that does not verify: the manifest vouches for every certificate it covers,
 * and for their continuing the chain from @p m's first_seq and prev_sha256. */
static enum lethe_err export_check(const uint8_t pub[LT_ED25519_PUB_LEN],
				   const struct lt_cert_item *items, size_t count,
				   struct manifest *m)
{
	struct first_problem first = {{0}, 0};
	struct lt_cert_chain c;
	enum lethe_err rc;

	for (size_t i = 0; i < count; i++) {
		if (!lt_uuid_valid(items[i].name))
			return lt_err(LETHE_ERR_INVALID,
				      "certificate %zu: name is not a lower-case UUID", i + 1);
		if (items[i].json == NULL || items[i].sig == NULL || items[i].len == 0 ||
		    memchr(items[i].json, '\n', items[i].len) !=
			(const void *) (items[i].json + items[i].len - 1))
			return lt_err(LETHE_ERR_INVALID,
				      "certificate %s: no bytes or signature, or not one line",
				      items[i].name);
	}
	lt_cert_chain_init(&c, pub, keep_first, &first);
	c.expected_seq = m->first_seq;
	memcpy(c.prev_sha256, m->prev_sha256, LT_SHA256_LEN);
	for (size_t i = 0; i < count; i++) {
		rc = lt_cert_chain_check(&c, items[i].name, items[i].name, items[i].json,
					 items[i].len, items[i].sig);
		if (rc != LETHE_OK)
			return rc;
	}
	memcpy(m->last_sha256, c.prev_sha256, LT_SHA256_LEN);
	rc = lt_cert_chain_result(&c);
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "refusing to export evidence that does not verify (%llu problems; "
			      "first: %s)",
			      (unsigned long long) first.count, first.text);
	return rc;
}

/* Write @p name in @p dir, atomically, 0644. */
static enum lethe_err write_entry(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];

	assert(data != NULL);
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int) sizeof(path))
		return lt_err(LETHE_ERR_INVALID, "%s/%s: path too long", dir, name);
	return lt_write_file_atomic(path, data, len, 0644);
}

/* Refuse a directory that holds anything: files of another export mixed into this one make
 * both unverifiable (an export into the checkpoint directory did exactly that). */
static enum lethe_err export_claim_dir(int dirfd, const char *dir)
{
	struct dirent *e;
	enum lethe_err rc = LETHE_OK;
	DIR *d;
	int fd;

	fd = dup(dirfd);
	if (fd < 0)
		return lt_err_errno(LETHE_ERR_IO, errno, "%s: dup", dir);
	d = fdopendir(fd);
	if (d == NULL) {
		(void) close(fd);
		return lt_err_errno(LETHE_ERR_IO, errno, "%s", dir);
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			rc = lt_err(LETHE_ERR_EXISTS,
				    "%s is not empty: export into a new or empty directory", dir);
			break;
		}
	}
	(void) closedir(d);
	return rc;
}

/* The certificates' bytes, and their signatures, one after the other. */
static enum lethe_err export_concat(const struct lt_cert_item *items, size_t count, uint8_t **certs,
				    size_t *certs_len, uint8_t **sigs)
{
	size_t total = 0, at = 0;

	for (size_t i = 0; i < count; i++)
		total += items[i].len;
	*certs = malloc(total ? total : 1);
	*sigs = malloc(count ? count * LT_ED25519_SIG_LEN : 1);
	if (*certs == NULL || *sigs == NULL) {
		free(*certs);
		free(*sigs);
		*certs = *sigs = NULL;
		return lt_err(LETHE_ERR_NOMEM, "evidence export: out of memory");
	}
	for (size_t i = 0; i < count; i++) {
		memcpy(*certs + at, items[i].json, items[i].len);
		at += items[i].len;
		memcpy(*sigs + i * LT_ED25519_SIG_LEN, items[i].sig, LT_ED25519_SIG_LEN);
	}
	*certs_len = total;
	return LETHE_OK;
}

/* Sign @p data, and check that the signer holds the public key being published. */
static enum lethe_err sign_checked(struct lt_ed25519_key *signer,
				   const uint8_t pub[LT_ED25519_PUB_LEN], const void *data,
				   size_t len, uint8_t sig[LT_ED25519_SIG_LEN])
{
	enum lethe_err rc;

	rc = lt_ed25519_key_sign(signer, data, len, sig);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_ed25519_verify(pub, data, len, sig);
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INVALID, "the evidence signing key does not match the "
						 "public key");
	return rc;
}

enum lethe_err lt_cert_export_dir(const char *dir, const struct lt_cert_export *e)
{
	uint8_t pub[LT_ED25519_PUB_LEN], manifest_sig[LT_ED25519_SIG_LEN];
	uint8_t *certs = NULL, *sigs = NULL;
	char manifest[MANIFEST_MAX];
	size_t certs_len = 0, manifest_len = 0;
	struct manifest m;
	enum lethe_err rc;
	int dirfd = -1;

	if (dir == NULL || e == NULL || e->pub_pem == NULL || e->signer == NULL ||
	    (e->items == NULL && e->count > 0) || e->first_seq == 0 ||
	    (e->first_seq > 1) != (e->prev_sha256 != NULL))
		return lt_err(LETHE_ERR_INVALID, "evidence export: missing argument");
	memset(&m, 0, sizeof(m));
	m.first_seq = e->first_seq;
	m.count = e->count;
	m.last_seq = e->first_seq + e->count - 1;
	if (e->prev_sha256 != NULL)
		memcpy(m.prev_sha256, e->prev_sha256, LT_SHA256_LEN);
	rc = lt_ed25519_pub_from_pem(e->pub_pem, strlen(e->pub_pem), pub);
	if (rc == LETHE_OK)
		rc = export_check(pub, e->items, e->count, &m);
	if (rc == LETHE_OK)
		rc = export_concat(e->items, e->count, &certs, &certs_len, &sigs);
	if (rc == LETHE_OK)
		rc = lt_sha256(certs, certs_len, m.certs_sha256);
	if (rc == LETHE_OK)
		rc = lt_sha256(sigs, e->count * LT_ED25519_SIG_LEN, m.sigs_sha256);
	if (rc == LETHE_OK && (manifest_len = manifest_format(&m, manifest)) == 0)
		rc = lt_err(LETHE_ERR_INTERNAL, "manifest.txt: too long");
	if (rc == LETHE_OK)
		rc = sign_checked(e->signer, pub, manifest, manifest_len, manifest_sig);
	if (rc == LETHE_OK)
		rc = lt_mkdir_p(dir, 0755);
	if (rc == LETHE_OK)
		rc = open_evidence_dir(dir, &dirfd);
	if (rc == LETHE_OK)
		rc = export_claim_dir(dirfd, dir);
	/* The manifest's signature last: an interrupted export leaves a directory that fails
	 * verification. */
	if (rc == LETHE_OK)
		rc = write_entry(dir, PUB_FILE, e->pub_pem, strlen(e->pub_pem));
	if (rc == LETHE_OK)
		rc = write_entry(dir, README_FILE, README_TEXT, sizeof(README_TEXT) - 1);
	if (rc == LETHE_OK)
		rc = write_entry(dir, CERTS_FILE, certs, certs_len);
	if (rc == LETHE_OK)
		rc = write_entry(dir, CERTS_SIG_FILE, sigs, e->count * LT_ED25519_SIG_LEN);
	if (rc == LETHE_OK)
		rc = write_entry(dir, MANIFEST_FILE, manifest, manifest_len);
	if (rc == LETHE_OK)
		rc = write_entry(dir, MANIFEST_SIG_FILE, manifest_sig, sizeof(manifest_sig));
	if (rc == LETHE_OK && e->last_sha256 != NULL)
		memcpy(e->last_sha256, m.last_sha256, LT_SHA256_LEN);
	if (dirfd >= 0)
		(void) close(dirfd);
	free(certs);
	free(sigs);
	return rc;
}

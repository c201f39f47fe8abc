/* cert.c - disposal certificates: build and sign them, verify chains of them, and export and
 * verify the evidence directory that auditors receive.
 *
 * The certificate layout and the directory format are specified in cert.h. Verification
 * streams: a chain is checked one certificate at a time, keeping only what the next one is
 * checked against (the previous certificate's SHA-256 and seq), so that verifying an evidence
 * directory needs memory for chain.txt and one certificate, not for all of them.
 *
 * Everything read from an evidence directory is hostile until verified: files are opened
 * without following symlinks, must be regular files, are read up to a fixed bound, and names
 * come only from chain.txt entries that are canonical UUIDs.
 */
#include "retention/cert.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/timeutil.h"
#include "crypt/prim.h"
#include "retention/policy.h"

/*
 * Compact (no insignificant white space) and ASCII-only: non-ASCII and control characters in
 * free text are \u-escaped, so the signed bytes never depend on a terminal's or a tool's idea
 * of an encoding, cannot carry terminal escape sequences, and grep/sed read them the same in
 * every locale. Keys keep the order they are inserted in (jansson has done so since 2.8; the
 * flag says so explicitly).
 */
#define CERT_DUMP_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER)

/* Largest integer every JSON parser reads exactly (I-JSON, RFC 7493: 2^53 - 1). */
#define JSON_UINT_MAX ((UINT64_C(1) << 53) - 1)

/* Bounds on free text, so that a certificate stays far below LT_CERT_JSON_MAX even when every
 * byte is escaped as \u00XX (6 bytes). */
#define USER_MAX 255
#define HOST_MAX 255
#define KEYSLOT_MAX 63
#define TOOL_VERSION_MAX 63

#define HEX32_LEN (2 * LT_SHA256_LEN)
#define PUB_PEM_MAX 4096
#define PROBLEM_MAX 512

static const char CERT_HOLD_CHECK[] = "no hold on object or group";
static const char CERT_METHOD[] = "cryptographic erase";
static const char CERT_STANDARD[] = "NIST SP 800-88 Rev. 1";
static const char CERT_VERIFICATION[] = "data key row deleted; ciphertext unlinked";
static const char REASON_EXPIRED[] = "retention-expired";
static const char REASON_MANUAL[] = "manual";

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

/* ---- small syntax checks ---------------------------------------------------------------- */

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/*
 * The canonical text of a UUID as libuuid writes it: 8-4-4-4-12 lower-case hex digits.
 * Certificate ids become file names in an evidence directory, so nothing else (no "..", no
 * "/", no upper case that would name a second file on a case-insensitive file system) is ever
 * accepted as one.
 */
static bool uuid_valid(const char *s, size_t len)
{
	if (len != LETHE_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_lower_hex(s[i]))
			return false;
	}
	return true;
}

static bool uuid_valid_str(const char *s)
{
	return s != NULL && uuid_valid(s, strnlen(s, LETHE_ID_LEN + 1));
}

static bool hex32_valid(const char *s)
{
	if (strnlen(s, HEX32_LEN + 1) != HEX32_LEN)
		return false;
	for (size_t i = 0; i < HEX32_LEN; i++) {
		if (!is_lower_hex(s[i]))
			return false;
	}
	return true;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	while (*s != '\0') {
		unsigned c = *s++;
		unsigned follow;
		uint32_t cp, min;

		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			follow = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			follow = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			follow = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		/* The terminating NUL is not a continuation byte: a cut sequence fails here. */
		for (; follow > 0; follow--) {
			if ((*s & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (*s++ & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

/* A time as certificates write it: RFC 3339 UTC to the second, within what lethe keeps. */
static bool time_text_valid(const char *text, int64_t *seconds)
{
	char again[32];
	enum lethe_err rc;

	rc = lt_time_parse(text, seconds);
	lt_err_clear(); /* a malformed time is reported by the caller, not left as a detail */
	if (rc != LETHE_OK || *seconds < 0 || *seconds > LT_RETENTION_TIME_MAX)
		return false;
	/* Only the one spelling lt_cert_build writes ("2026-01-01" alone is not a time). */
	lt_time_format(*seconds, again, sizeof(again));
	return strcmp(again, text) == 0;
}

/* ---- building ----------------------------------------------------------------------------- */

static enum lethe_err need_id(enum lethe_err rc, const char *id, const char *what)
{
	if (rc == LETHE_OK && !uuid_valid_str(id))
		rc = lt_err(LETHE_ERR_INVALID, "certificate: %s is not a lower-case UUID", what);
	return rc;
}

static enum lethe_err need_text(enum lethe_err rc, const char *text, size_t max,
				const char *what)
{
	if (rc != LETHE_OK)
		return rc;
	if (text == NULL)
		return lt_err(LETHE_ERR_INVALID, "certificate: %s is missing", what);
	if (strnlen(text, max + 1) > max)
		return lt_err(LETHE_ERR_INVALID, "certificate: %s is longer than %zu bytes", what,
			      max);
	if (!utf8_valid(text))
		return lt_err(LETHE_ERR_INVALID, "certificate: %s is not valid UTF-8", what);
	return LETHE_OK;
}

static enum lethe_err need_time(enum lethe_err rc, int64_t seconds, const char *what)
{
	if (rc == LETHE_OK && (seconds < 0 || seconds > LT_RETENTION_TIME_MAX))
		rc = lt_err(LETHE_ERR_INVALID, "certificate: %s (%lld) is out of range", what,
			    (long long)seconds);
	return rc;
}

static enum lethe_err need_uint(enum lethe_err rc, uint64_t value, const char *what)
{
	if (rc == LETHE_OK && value > JSON_UINT_MAX)
		rc = lt_err(LETHE_ERR_INVALID, "certificate: %s (%llu) is too large", what,
			    (unsigned long long)value);
	return rc;
}

/* The rules a certificate obeys, shared with the verifier's semantic checks. */
static enum lethe_err need_reason(enum lethe_err rc, const struct lt_cert_fields *f)
{
	if (rc != LETHE_OK)
		return rc;
	if (f->reason == NULL ||
	    (strcmp(f->reason, REASON_EXPIRED) != 0 && strcmp(f->reason, REASON_MANUAL) != 0))
		return lt_err(LETHE_ERR_INVALID, "certificate: reason must be \"%s\" or \"%s\"",
			      REASON_EXPIRED, REASON_MANUAL);
	/* A sweep never forces: an early shred is always an officer's manual act. */
	if (f->forced && strcmp(f->reason, REASON_MANUAL) != 0)
		return lt_err(LETHE_ERR_INVALID, "certificate: a forced shred must be \"%s\"",
			      REASON_MANUAL);
	if (strcmp(f->reason, REASON_MANUAL) == 0 && (f->reason_text == NULL ||
						       f->reason_text[0] == '\0'))
		return lt_err(LETHE_ERR_INVALID, "certificate: a manual shred needs a reason text");
	if (f->reason_text != NULL)
		return need_text(rc, f->reason_text, LETHE_REASON_MAX, "reason text");
	return LETHE_OK;
}

/* The retention rules the verifier checks again (check_semantics): a certificate for a shred
 * lt_retention_may_shred() would have refused is a caller's bug, and is never signed. */
static enum lethe_err need_policy(enum lethe_err rc, const struct lt_cert_fields *f)
{
	if (rc != LETHE_OK || f->shredded_at >= f->retain_until)
		return rc;
	if (f->policy_lock)
		return lt_err(LETHE_ERR_INTERNAL, "certificate: shredded before retain_until in a "
			      "locked group");
	if (!f->forced)
		return lt_err(LETHE_ERR_INTERNAL, "certificate: shredded before retain_until "
			      "without force");
	return LETHE_OK;
}

static enum lethe_err check_fields(const struct lt_cert_fields *f)
{
	enum lethe_err rc = LETHE_OK;

	/* The certificate states that the holds were checked: never issue one that could not. */
	if (!f->hold_checked_clear)
		return lt_err(LETHE_ERR_INTERNAL, "certificate: legal holds were not checked");
	rc = need_id(rc, f->certificate_id, "certificate id");
	rc = need_id(rc, f->store_id, "store id");
	rc = need_id(rc, f->object_id, "object id");
	rc = need_id(rc, f->dek_id, "data key id");
	if (rc == LETHE_OK && !lt_group_name_valid(f->group))
		rc = lt_err(LETHE_ERR_INVALID, "certificate: invalid group name");
	if (rc == LETHE_OK && f->seq == 0)
		rc = lt_err(LETHE_ERR_INVALID, "certificate: seq starts at 1");
	rc = need_uint(rc, f->seq, "seq");
	rc = need_uint(rc, f->size, "size");
	if (rc == LETHE_OK && f->policy_retention < 0)
		rc = lt_err(LETHE_ERR_INVALID, "certificate: negative retention");
	rc = need_uint(rc, (uint64_t)f->policy_retention, "retention");
	rc = need_time(rc, f->created_at, "created_at");
	rc = need_time(rc, f->retain_until, "retain_until");
	rc = need_time(rc, f->shredded_at, "shredded_at");
	rc = need_reason(rc, f);
	rc = need_policy(rc, f);
	rc = need_text(rc, f->actor_user, USER_MAX, "actor user");
	rc = need_text(rc, f->actor_keyslot, KEYSLOT_MAX, "actor keyslot");
	rc = need_text(rc, f->host, HOST_MAX, "host");
	rc = need_text(rc, f->tool_version, TOOL_VERSION_MAX, "tool version");
	return rc;
}

/* The text forms of the fields that are not already text. */
struct cert_text {
	char name_sha256[HEX32_LEN + 1];
	char ciphertext_sha256[HEX32_LEN + 1];
	char prev_sha256[HEX32_LEN + 1];
	char created_at[32];
	char retain_until[32];
	char shredded_at[32];
	char retention[32];
};

static void cert_text_fill(const struct lt_cert_fields *f, struct cert_text *t)
{
	lt_hex(f->name_sha256, LT_SHA256_LEN, t->name_sha256);
	lt_hex(f->ciphertext_sha256, LT_SHA256_LEN, t->ciphertext_sha256);
	lt_hex(f->prev_sha256, LT_SHA256_LEN, t->prev_sha256);
	lt_time_format(f->created_at, t->created_at, sizeof(t->created_at));
	lt_time_format(f->retain_until, t->retain_until, sizeof(t->retain_until));
	lt_time_format(f->shredded_at, t->shredded_at, sizeof(t->shredded_at));
	lt_duration_format(f->policy_retention, t->retention, sizeof(t->retention));
}

/* The layout of a version 1 certificate, in order; cert.h shows it as JSON. */
static json_t *cert_pack(const struct lt_cert_fields *f, const struct cert_text *t,
			 json_error_t *jerr)
{
	return json_pack_ex(jerr, 0,
		"{s:s, s:i, s:s, s:I, s:s,"
		" s:{s:s, s:s, s:s, s:I, s:s, s:s, s:s},"
		" s:{s:s, s:s, s:I, s:b},"
		" s:{s:s, s:s?, s:b},"
		" s:s,"
		" s:{s:s, s:s, s:{s:s, s:I}, s:s},"
		" s:{s:I, s:s, s:s},"
		" s:s, s:{s:s, s:s}, s:s, s:s}",
		"type", LT_CERT_TYPE, "version", LT_CERT_VERSION,
		"certificate_id", f->certificate_id, "seq", (json_int_t)f->seq,
		"store_id", f->store_id,
		"object",
		"id", f->object_id, "group", f->group, "name_sha256", t->name_sha256,
		"size", (json_int_t)f->size, "ciphertext_sha256", t->ciphertext_sha256,
		"created_at", t->created_at, "retain_until", t->retain_until,
		"policy",
		"group", f->group, "retention", t->retention,
		"retention_seconds", (json_int_t)f->policy_retention, "lock", (int)f->policy_lock,
		"reason",
		"code", f->reason, "text", f->reason_text, "forced", (int)f->forced,
		"hold_check", CERT_HOLD_CHECK,
		"sanitization",
		"method", CERT_METHOD, "standard", CERT_STANDARD,
		"destroyed", "dek_id", f->dek_id, "kek_version", (json_int_t)f->kek_version,
		"verification", CERT_VERIFICATION,
		"actor",
		"uid", (json_int_t)f->actor_uid, "user", f->actor_user,
		"keyslot", f->actor_keyslot,
		"host", f->host,
		"tool", "name", "lethe", "version", f->tool_version,
		"shredded_at", t->shredded_at,
		"prev_sha256", t->prev_sha256);
}

/* Serialise @p root as the signed bytes: the compact JSON text and one "\n". */
static enum lethe_err dump_line(const json_t *root, char **out, size_t *out_len)
{
	size_t need = json_dumpb(root, NULL, 0, CERT_DUMP_FLAGS);
	char *buf;

	if (need == 0 || need >= LT_CERT_JSON_MAX)
		return lt_err(LETHE_ERR_INTERNAL, "certificate: cannot serialise (%zu bytes)", need);
	buf = malloc(need + 1);
	if (buf == NULL)
		return lt_err(LETHE_ERR_NOMEM, "certificate: out of memory");
	if (json_dumpb(root, buf, need, CERT_DUMP_FLAGS) != need) {
		free(buf);
		return lt_err(LETHE_ERR_INTERNAL, "certificate: serialisation changed size");
	}
	buf[need] = '\n';
	*out = buf;
	*out_len = need + 1;
	return LETHE_OK;
}

enum lethe_err lt_cert_build(const struct lt_cert_fields *f, char **json, size_t *len)
{
	struct cert_text text;
	json_error_t jerr;
	json_t *root = NULL;
	enum lethe_err rc;

	*json = NULL;
	*len = 0;
	rc = check_fields(f);
	if (rc != LETHE_OK)
		goto out;
	cert_text_fill(f, &text);
	root = cert_pack(f, &text, &jerr);
	if (root == NULL) {
		/* Every input was validated above: only memory can run out here. */
		rc = lt_err(LETHE_ERR_NOMEM, "certificate: %s", jerr.text);
		goto out;
	}
	rc = dump_line(root, json, len);
out:
	json_decref(root);
	return rc;
}

enum lethe_err lt_cert_sign(const uint8_t seed[32], const void *json, size_t len,
			    uint8_t sig[64])
{
	return lt_ed25519_sign(seed, json, len, sig);
}

/* ---- what a certificate must contain ------------------------------------------------------ */

enum field_kind {
	F_OBJECT,  /* a JSON object (its fields follow in the table) */
	F_CONST,   /* a string equal to the rule's constant */
	F_TEXT,    /* any string */
	F_TEXT_OR_NULL,
	F_VERSION, /* the integer LT_CERT_VERSION */
	F_UINT,    /* an integer in 0..2^53-1 */
	F_BOOL,
	F_UUID,
	F_GROUP,
	F_HEX32,   /* 64 lower-case hex digits */
	F_TIME,    /* RFC 3339 UTC, "2026-11-23T11:34:05Z" */
	F_REASON,  /* "retention-expired" or "manual" */
};

struct field_rule {
	const char *path;     /* from the root, "." between levels */
	enum field_kind kind;
	const char *constant; /* F_CONST only */
};

/* Every field of a version 1 certificate, in the order lt_cert_build writes them. */
static const struct field_rule cert_rules[] = {
	{"type", F_CONST, LT_CERT_TYPE},
	{"version", F_VERSION, NULL},
	{"certificate_id", F_UUID, NULL},
	{"seq", F_UINT, NULL},
	{"store_id", F_UUID, NULL},
	{"object", F_OBJECT, NULL},
	{"object.id", F_UUID, NULL},
	{"object.group", F_GROUP, NULL},
	{"object.name_sha256", F_HEX32, NULL},
	{"object.size", F_UINT, NULL},
	{"object.ciphertext_sha256", F_HEX32, NULL},
	{"object.created_at", F_TIME, NULL},
	{"object.retain_until", F_TIME, NULL},
	{"policy", F_OBJECT, NULL},
	{"policy.group", F_GROUP, NULL},
	{"policy.retention", F_TEXT, NULL},
	{"policy.retention_seconds", F_UINT, NULL},
	{"policy.lock", F_BOOL, NULL},
	{"reason", F_OBJECT, NULL},
	{"reason.code", F_REASON, NULL},
	{"reason.text", F_TEXT_OR_NULL, NULL},
	{"reason.forced", F_BOOL, NULL},
	{"hold_check", F_CONST, CERT_HOLD_CHECK},
	{"sanitization", F_OBJECT, NULL},
	{"sanitization.method", F_CONST, CERT_METHOD},
	{"sanitization.standard", F_CONST, CERT_STANDARD},
	{"sanitization.destroyed", F_OBJECT, NULL},
	{"sanitization.destroyed.dek_id", F_UUID, NULL},
	{"sanitization.destroyed.kek_version", F_UINT, NULL},
	{"sanitization.verification", F_CONST, CERT_VERIFICATION},
	{"actor", F_OBJECT, NULL},
	{"actor.uid", F_UINT, NULL},
	{"actor.user", F_TEXT, NULL},
	{"actor.keyslot", F_TEXT, NULL},
	{"host", F_TEXT, NULL},
	{"tool", F_OBJECT, NULL},
	{"tool.name", F_CONST, "lethe"},
	{"tool.version", F_TEXT, NULL},
	{"shredded_at", F_TIME, NULL},
	{"prev_sha256", F_HEX32, NULL},
};

#define N_RULES (sizeof(cert_rules) / sizeof(cert_rules[0]))

static const char *kind_expectation(const struct field_rule *rule)
{
	switch (rule->kind) {
	case F_OBJECT:
		return "an object";
	case F_CONST:
		return "the fixed text of this format";
	case F_TEXT:
		return "a string";
	case F_TEXT_OR_NULL:
		return "a string or null";
	case F_VERSION:
		return "1 (the only version this verifier knows)";
	case F_UINT:
		return "an integer from 0 to 2^53-1";
	case F_BOOL:
		return "true or false";
	case F_UUID:
		return "a lower-case UUID";
	case F_GROUP:
		return "a group name ([A-Za-z0-9._-], 1..63 bytes)";
	case F_HEX32:
		return "64 lower-case hexadecimal digits";
	case F_TIME:
		return "an RFC 3339 UTC time (\"2026-01-31T23:59:59Z\")";
	case F_REASON:
		return "\"retention-expired\" or \"manual\"";
	}
	return "?";
}

static bool value_matches(const struct field_rule *rule, const json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	json_int_t i = json_is_integer(v) ? json_integer_value(v) : -1;
	int64_t seconds;

	switch (rule->kind) {
	case F_OBJECT:
		return json_is_object(v);
	case F_CONST:
		return s != NULL && strcmp(s, rule->constant) == 0;
	case F_TEXT:
		return s != NULL;
	case F_TEXT_OR_NULL:
		return s != NULL || json_is_null(v);
	case F_VERSION:
		return i == LT_CERT_VERSION;
	case F_UINT:
		return i >= 0 && (uint64_t)i <= JSON_UINT_MAX;
	case F_BOOL:
		return json_is_boolean(v);
	case F_UUID:
		return s != NULL && uuid_valid_str(s);
	case F_GROUP:
		return s != NULL && lt_group_name_valid(s);
	case F_HEX32:
		return s != NULL && hex32_valid(s);
	case F_TIME:
		return s != NULL && time_text_valid(s, &seconds);
	case F_REASON:
		return s != NULL && (strcmp(s, REASON_EXPIRED) == 0 || strcmp(s, REASON_MANUAL) == 0);
	}
	return false;
}

/*
 * The value at dotted @p path, or NULL. *parent_ok is false when a level above it is missing
 * or not an object: that was reported already, so the field is not reported again.
 */
static json_t *lookup(json_t *root, const char *path, bool *parent_ok)
{
	char part[64];
	json_t *node = root;

	*parent_ok = true;
	for (;;) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		node = json_object_get(node, part);
		if (dot == NULL)
			return node;
		if (!json_is_object(node)) {
			*parent_ok = false;
			return NULL;
		}
		path = dot + 1;
	}
}

/* Is rule path @p path directly under @p prefix ("" for the root)? Then *leaf is its name. */
static bool direct_child(const char *path, const char *prefix, const char **leaf)
{
	size_t plen = strlen(prefix);

	if (plen > 0) {
		if (strncmp(path, prefix, plen) != 0 || path[plen] != '.')
			return false;
		path += plen + 1;
	}
	*leaf = path;
	return strchr(path, '.') == NULL;
}

/* Index among the rules of @p key directly under @p prefix, or -1. */
static long child_rule(const char *prefix, const char *key)
{
	const char *leaf;

	for (size_t r = 0; r < N_RULES; r++) {
		if (direct_child(cert_rules[r].path, prefix, &leaf) && strcmp(leaf, key) == 0)
			return (long)r;
	}
	return -1;
}

/* ---- chain verification state ------------------------------------------------------------- */

struct chain {
	const uint8_t *pub;
	lt_cert_problem_fn fn;
	void *ctx;
	uint64_t problems;      /* everything reported */
	uint64_t io_problems;   /* of which: files that could not be read (not tampering) */
	uint64_t position;      /* of the certificate being checked, from 1 */
	uint64_t expected_seq;  /* the seq the next certificate must carry */
	bool prev_known;        /* false after a certificate that could not be read at all */
	uint8_t prev_sha256[LT_SHA256_LEN];
	bool have_store_id;
	char store_id[LETHE_ID_LEN + 1];
	bool last_has_seq;      /* the seq of the certificate checked last, if it had one */
	uint64_t last_seq;
};

static void chain_init(struct chain *c, const uint8_t *pub, lt_cert_problem_fn fn, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->pub = pub;
	c->fn = fn;
	c->ctx = ctx;
	c->expected_seq = 1;
	c->prev_known = true; /* the first certificate's predecessor is "all zeros" */
}

/* Problems quote hostile input: anything but printable ASCII becomes '?'. */
static void make_printable(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
	}
}

static void report(struct chain *c, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct chain *c, const char *where, const char *fmt, ...)
{
	char what[PROBLEM_MAX];
	char at[PROBLEM_MAX];
	va_list ap;

	c->problems++;
	if (c->fn == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	(void)snprintf(at, sizeof(at), "%s", where);
	make_printable(what);
	make_printable(at);
	c->fn(at, what, c->ctx);
}

/* The chain-relevant fields of one certificate, each valid only if its has_ flag is set. */
struct cert_view {
	bool has_seq, has_id, has_store_id, has_prev;
	uint64_t seq;
	char certificate_id[LETHE_ID_LEN + 1];
	char store_id[LETHE_ID_LEN + 1];
	char prev_sha256[HEX32_LEN + 1];
};

/* Report every field that is missing or of the wrong kind; true if all are right. */
static bool check_rules(struct chain *c, const char *where, json_t *root)
{
	bool all_ok = true;

	for (size_t r = 0; r < N_RULES; r++) {
		bool parent_ok;
		json_t *v = lookup(root, cert_rules[r].path, &parent_ok);

		if (!parent_ok)
			continue;
		if (v == NULL) {
			report(c, where, "field %s is missing", cert_rules[r].path);
			all_ok = false;
		} else if (!value_matches(&cert_rules[r], v)) {
			report(c, where, "field %s is not %s", cert_rules[r].path,
			       kind_expectation(&cert_rules[r]));
			all_ok = false;
		}
	}
	return all_ok;
}

/* Report fields the format does not have, or out of order, in one object (@p prefix). */
static bool check_keys_at(struct chain *c, const char *where, json_t *obj, const char *prefix)
{
	const char *key;
	json_t *value;
	long last = -1;
	bool ok = true;

	json_object_foreach(obj, key, value) {
		long r = child_rule(prefix, key);

		if (r < 0) {
			report(c, where, "unexpected field %s%s%s", prefix, *prefix ? "." : "", key);
			ok = false;
		} else if (r < last) {
			report(c, where, "field %s is out of order", cert_rules[r].path);
			ok = false;
		} else {
			last = r;
		}
	}
	return ok;
}

/* The exact set and order of fields: the verifier accepts only what lt_cert_build writes. */
static bool check_keys(struct chain *c, const char *where, json_t *root)
{
	bool ok = check_keys_at(c, where, root, "");

	for (size_t r = 0; r < N_RULES; r++) {
		bool parent_ok;
		json_t *obj;

		if (cert_rules[r].kind != F_OBJECT)
			continue;
		obj = lookup(root, cert_rules[r].path, &parent_ok);
		if (json_is_object(obj))
			ok = check_keys_at(c, where, obj, cert_rules[r].path) && ok;
	}
	return ok;
}

static const char *get_text(json_t *root, const char *path)
{
	bool parent_ok;

	return json_string_value(lookup(root, path, &parent_ok));
}

static bool get_bool(json_t *root, const char *path)
{
	bool parent_ok;

	return json_is_true(lookup(root, path, &parent_ok));
}

/*
 * What a well-formed certificate must say about itself, beyond its fields' types. Called only
 * when every field passed check_rules(). These are policy facts the evidence demonstrates: a
 * signed certificate that contradicts the retention rules is reported, not believed.
 */
static void check_semantics(struct chain *c, const char *where, json_t *root)
{
	const char *code = get_text(root, "reason.code");
	const char *text = get_text(root, "reason.text");
	bool forced = get_bool(root, "reason.forced");
	int64_t until, shredded;

	if (strcmp(get_text(root, "object.group"), get_text(root, "policy.group")) != 0)
		report(c, where, "policy.group differs from object.group");
	if (forced && strcmp(code, REASON_MANUAL) != 0)
		report(c, where, "reason.forced is true but reason.code is not \"manual\"");
	if (strcmp(code, REASON_MANUAL) == 0 && (text == NULL || text[0] == '\0'))
		report(c, where, "a manual shred without reason.text");
	(void)time_text_valid(get_text(root, "object.retain_until"), &until);
	(void)time_text_valid(get_text(root, "shredded_at"), &shredded);
	if (shredded >= until)
		return;
	if (get_bool(root, "policy.lock"))
		report(c, where, "shredded before retain_until in a locked (compliance mode) group");
	else if (!forced)
		report(c, where, "shredded before retain_until without an officer's force");
}

static void copy_if_valid(json_t *root, const char *key, bool (*valid)(const char *),
			  char *out, size_t out_size, bool *has)
{
	const char *s = json_string_value(json_object_get(root, key));

	*has = s != NULL && valid(s) && strlen(s) < out_size;
	if (*has)
		memcpy(out, s, strlen(s) + 1);
}

static bool hex32_valid_str(const char *s)
{
	return hex32_valid(s);
}

/* Pull out what links the certificate into the chain, as far as it is well-formed. */
static void view_extract(json_t *root, struct cert_view *v)
{
	json_t *seq = json_object_get(root, "seq");

	v->has_seq = json_is_integer(seq) && json_integer_value(seq) >= 0 &&
		     (uint64_t)json_integer_value(seq) <= JSON_UINT_MAX;
	if (v->has_seq)
		v->seq = (uint64_t)json_integer_value(seq);
	copy_if_valid(root, "certificate_id", uuid_valid_str, v->certificate_id,
		      sizeof(v->certificate_id), &v->has_id);
	copy_if_valid(root, "store_id", uuid_valid_str, v->store_id, sizeof(v->store_id),
		      &v->has_store_id);
	copy_if_valid(root, "prev_sha256", hex32_valid_str, v->prev_sha256,
		      sizeof(v->prev_sha256), &v->has_prev);
}

/*
 * The signed bytes must be exactly what lt_cert_build would write for the parsed value, so
 * that a text tool (the auditor's sed) and a JSON parser can never read different values.
 */
static enum lethe_err check_canonical(struct chain *c, const char *where, json_t *root,
				      const uint8_t *json, size_t len)
{
	size_t need = json_dumpb(root, NULL, 0, CERT_DUMP_FLAGS);
	char *again;

	if (need == 0)
		return lt_err(LETHE_ERR_NOMEM, "certificate: out of memory");
	if (need + 1 != len || json[len - 1] != '\n') {
		report(c, where, "not in canonical form (compact JSON and one final newline)");
		return LETHE_OK;
	}
	again = malloc(need);
	if (again == NULL)
		return lt_err(LETHE_ERR_NOMEM, "certificate: out of memory");
	if (json_dumpb(root, again, need, CERT_DUMP_FLAGS) != need || memcmp(again, json, need) != 0)
		report(c, where, "not in canonical form (compact JSON and one final newline)");
	free(again);
	return LETHE_OK;
}

/* Parse one certificate and check its content; @p v receives its chain fields. */
static enum lethe_err check_content(struct chain *c, const char *where, const uint8_t *json,
				    size_t len, struct cert_view *v)
{
	json_error_t jerr;
	json_t *root;
	enum lethe_err rc;
	bool fields_ok;

	memset(v, 0, sizeof(*v));
	if (len > LT_CERT_JSON_MAX) {
		report(c, where, "larger than %d bytes", LT_CERT_JSON_MAX);
		return LETHE_OK;
	}
	/* Duplicate keys would let two readers see two different certificates. */
	root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		report(c, where, "not valid JSON: %s (byte %d)", jerr.text, jerr.position);
		return LETHE_OK;
	}
	if (!json_is_object(root)) {
		report(c, where, "not a JSON object");
		rc = LETHE_OK;
		goto out;
	}
	rc = check_canonical(c, where, root, json, len);
	if (rc != LETHE_OK)
		goto out;
	fields_ok = check_rules(c, where, root);
	fields_ok = check_keys(c, where, root) && fields_ok;
	if (fields_ok)
		check_semantics(c, where, root);
	view_extract(root, v);
out:
	json_decref(root);
	return rc;
}

/* The links to the rest of the chain: seq, prev_sha256, id, store. */
static void check_links(struct chain *c, const char *where, const char *expect_id,
			const struct cert_view *v)
{
	char prev_hex[HEX32_LEN + 1];

	if (v->has_seq && v->seq != c->expected_seq)
		report(c, where,
		       "seq is %llu, expected %llu: a certificate is missing, duplicated or out "
		       "of order", (unsigned long long)v->seq, (unsigned long long)c->expected_seq);
	if (v->has_prev && c->prev_known) {
		lt_hex(c->prev_sha256, LT_SHA256_LEN, prev_hex);
		if (strcmp(prev_hex, v->prev_sha256) != 0 && c->position == 1)
			report(c, where, "prev_sha256 is not zero in the first certificate: "
			       "certificates before it are missing");
		else if (strcmp(prev_hex, v->prev_sha256) != 0)
			report(c, where, "prev_sha256 is not the SHA-256 of the previous "
			       "certificate: the chain is broken here");
	}
	if (expect_id != NULL && v->has_id && strcmp(expect_id, v->certificate_id) != 0)
		report(c, where, "certificate_id is %s, not the id it is filed under",
		       v->certificate_id);
	if (v->has_store_id && !c->have_store_id) {
		memcpy(c->store_id, v->store_id, sizeof(c->store_id));
		c->have_store_id = true;
	} else if (v->has_store_id && strcmp(c->store_id, v->store_id) != 0) {
		report(c, where, "store_id %s differs from the first certificate's %s",
		       v->store_id, c->store_id);
	}
}

/*
 * Check the certificate at the next position: signature (when @p sig is not NULL; a missing
 * signature is reported by the caller, who knows why), content, and links to its predecessor.
 * Only a failure to check at all (memory, the crypto library) is returned as an error.
 */
static enum lethe_err chain_check(struct chain *c, const char *where, const char *expect_id,
				  const uint8_t *json, size_t len, const uint8_t *sig)
{
	struct cert_view v;
	enum lethe_err rc;

	c->position++;
	if (sig != NULL) {
		rc = lt_ed25519_verify(c->pub, json, len, sig);
		if (rc == LETHE_ERR_INTEGRITY)
			report(c, where, "signature does not verify");
		else if (rc != LETHE_OK)
			return rc;
	}
	rc = check_content(c, where, json, len, &v);
	if (rc != LETHE_OK)
		return rc;
	check_links(c, where, expect_id, &v);
	c->last_has_seq = v.has_seq;
	c->last_seq = v.seq;
	c->expected_seq = v.has_seq ? v.seq + 1 : c->expected_seq + 1;
	c->prev_known = true;
	return lt_sha256(json, len, c->prev_sha256);
}

/* A certificate that could not be read: the next one's prev_sha256 cannot be checked. */
static void chain_skip(struct chain *c)
{
	c->position++;
	c->expected_seq++;
	c->prev_known = false;
}

static enum lethe_err chain_result(const struct chain *c)
{
	if (c->problems > c->io_problems)
		return lt_err(LETHE_ERR_INTEGRITY, "disposal evidence: %llu problem%s found",
			      (unsigned long long)c->problems, c->problems == 1 ? "" : "s");
	if (c->io_problems > 0)
		return lt_err(LETHE_ERR_IO, "disposal evidence: %llu file%s could not be read",
			      (unsigned long long)c->io_problems, c->io_problems == 1 ? "" : "s");
	return LETHE_OK;
}

enum lethe_err lt_cert_verify_chain(const uint8_t pub[32], const struct lt_cert_item *items,
				    size_t count, lt_cert_problem_fn fn, void *ctx)
{
	struct chain c;
	enum lethe_err rc;

	chain_init(&c, pub, fn, ctx);
	for (size_t i = 0; i < count; i++) {
		const struct lt_cert_item *item = &items[i];
		char where[64];
		const char *expect_id;

		if (item->name != NULL)
			(void)snprintf(where, sizeof(where), "%s", item->name);
		else
			(void)snprintf(where, sizeof(where), "certificate #%zu", i + 1);
		if (item->json == NULL) {
			report(&c, where, "no certificate bytes");
			chain_skip(&c);
			continue;
		}
		if (item->sig == NULL)
			report(&c, where, "no signature");
		expect_id = uuid_valid_str(item->name) ? item->name : NULL;
		rc = chain_check(&c, where, expect_id, item->json, item->len, item->sig);
		if (rc != LETHE_OK)
			return rc;
	}
	return chain_result(&c);
}

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
static void report_file(struct chain *c, const char *name, enum lethe_err rc)
{
	if (rc == LETHE_ERR_IO)
		c->io_problems++;
	if (rc == LETHE_ERR_NOT_FOUND)
		report(c, name, "is missing");
	else
		report(c, name, "%s", lt_err_detail());
}

/* The certificates chain.txt lists, in order: ids point into chain.txt's bytes. */
struct listing {
	const char **ids;    /* LETHE_ID_LEN bytes each, not NUL-terminated */
	uint64_t *seqs;      /* the seq on each one's line */
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
	return v <= JSON_UINT_MAX;
}

/* Check one line "<seq> <id>" (without its "\n"); NULL id if malformed. */
static const char *parse_line(struct chain *c, size_t line_no, const char *line, size_t n,
			      uint64_t *expected, uint64_t *seq)
{
	const char *space = memchr(line, ' ', n);
	char where[48];

	(void)snprintf(where, sizeof(where), "chain.txt line %zu", line_no);
	if (space == NULL || !parse_seq(line, (size_t)(space - line), seq) ||
	    !uuid_valid(space + 1, n - (size_t)(space + 1 - line))) {
		report(c, where, "not \"<seq> <certificate-id>\"");
		(*expected)++;
		return NULL;
	}
	if (*seq != *expected)
		report(c, where, "seq %llu, expected %llu", (unsigned long long)*seq,
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
static enum lethe_err listing_parse(struct chain *c, const char *text, size_t len,
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
		report(c, CHAIN_FILE, "does not start with the line \"%.*s\"",
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
			report(c, CHAIN_FILE, "the last line has no newline");
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
			report(c, CHAIN_FILE, "lists %.*s more than once", LETHE_ID_LEN,
			       l->sorted[i]);
	}
	return LETHE_OK;
}

static bool listed(const struct listing *l, const char *id)
{
	return l->count > 0 &&
	       bsearch(&id, l->sorted, l->count, sizeof(*l->sorted), id_cmp) != NULL;
}

/* Read evidence.pub.pem into @p pub (or check it against @p pin). LETHE_ERR_INVALID if absent:
 * without it the directory is not an evidence directory at all. *have_key false: reported. */
static enum lethe_err load_pub(struct chain *c, int dirfd, const uint8_t *pin,
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
		report(c, PUB_FILE, "not a PEM Ed25519 public key");
	} else {
		*have_key = true;
	}
	/* A pinned key is the one that counts: the directory's own copy proves nothing. */
	if (pin != NULL) {
		if (*have_key && memcmp(pub, pin, LT_ED25519_PUB_LEN) != 0)
			report(c, PUB_FILE, "is not the expected evidence public key");
		memcpy(pub, pin, LT_ED25519_PUB_LEN);
		*have_key = true;
	}
	free(pem);
	return LETHE_OK;
}

/* Read chain.txt and check chain.sig over its exact bytes. *text is NULL if unreadable. */
static enum lethe_err load_chain_txt(struct chain *c, int dirfd, uint8_t **text, size_t *len)
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
		report(c, CHAIN_SIG_FILE, "is missing: the list of certificates is not signed");
	} else if (rc != LETHE_OK) {
		report_file(c, CHAIN_SIG_FILE, rc);
	} else if (sig_len != LT_ED25519_SIG_LEN) {
		report(c, CHAIN_SIG_FILE, "is %zu bytes, expected %d", sig_len, LT_ED25519_SIG_LEN);
	} else {
		rc = lt_ed25519_verify(c->pub, *text, *len, sig);
		if (rc == LETHE_ERR_INTEGRITY)
			report(c, CHAIN_SIG_FILE, "does not verify: chain.txt was changed, or a "
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
static enum lethe_err check_unlisted(struct chain *c, int dirfd, const struct listing *l)
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
		if (!uuid_valid(e->d_name, stem_len) || !listed(l, e->d_name))
			report(c, e->d_name, "is not listed in chain.txt");
		errno = 0;
	}
	if (errno != 0) {
		c->io_problems++;
		report(c, ".", "reading the directory failed: %s", strerror(errno));
	}
	(void)closedir(d);
	return LETHE_OK;
}

/* Read and check the certificate listed as "@p listed_seq @p id", next in the chain. */
static enum lethe_err check_listed_one(struct chain *c, int dirfd, const char *id,
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
		chain_skip(c);
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
		report(c, sig_name, "is %zu bytes, expected %d", sig_len, LT_ED25519_SIG_LEN);
		free(sig);
		sig = NULL;
	}
	rc = chain_check(c, id, id, json, json_len, rc == LETHE_OK ? sig : NULL);
	if (rc == LETHE_OK && c->last_has_seq && c->last_seq != listed_seq)
		report(c, id, "seq %llu differs from chain.txt's %llu",
		       (unsigned long long)c->last_seq, (unsigned long long)listed_seq);
out:
	free(json);
	free(sig);
	return rc;
}

static enum lethe_err check_listed(struct chain *c, int dirfd, const struct listing *l,
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
		return lt_err_errno(LETHE_ERR_INVALID, errno, "%s: not an evidence directory",
				    dir);
	return lt_err_errno(LETHE_ERR_IO, errno, "%s", dir);
}

enum lethe_err lt_cert_verify_dir_key(const char *dir, const uint8_t pin[32],
				      lt_cert_problem_fn fn, void *ctx, uint64_t *count)
{
	uint8_t pub[LT_ED25519_PUB_LEN];
	struct listing l = {0};
	uint8_t *chain_txt = NULL;
	size_t chain_len = 0;
	struct chain c;
	enum lethe_err rc;
	bool have_key;
	int dirfd;

	*count = 0;
	chain_init(&c, pub, fn, ctx);
	rc = open_evidence_dir(dir, &dirfd);
	if (rc != LETHE_OK)
		return rc;
	rc = load_pub(&c, dirfd, pin, pub, &have_key);
	if (rc != LETHE_OK || !have_key)
		goto out;
	rc = load_chain_txt(&c, dirfd, &chain_txt, &chain_len);
	if (rc == LETHE_OK && chain_txt != NULL)
		rc = listing_parse(&c, (const char *)chain_txt, chain_len, &l);
	if (rc == LETHE_OK)
		rc = check_unlisted(&c, dirfd, &l);
	if (rc == LETHE_OK)
		rc = check_listed(&c, dirfd, &l, count);
out:
	if (rc == LETHE_OK)
		rc = chain_result(&c);
	else
		lt_err_prefix("%s", dir);
	listing_free(&l);
	free(chain_txt);
	(void)close(dirfd);
	return rc;
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
	"   the key's fingerprint with one you obtained independently (at an earlier audit, or\n"
	"   from the store's security officer):\n"
	"\n"
	"       openssl pkey -pubin -in evidence.pub.pem -outform DER | sha256sum\n"
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
	"   It checks chain.sig; then, for each line of chain.txt in order, the certificate's\n"
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
	"- lethe evidence verify DIR makes the same checks and also checks every field of every\n"
	"  certificate (types, the fixed layout, and that none was shredded before its\n"
	"  retain_until unless an officer forced it in a group that is not locked).\n"
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
static enum lethe_err listing_build(const struct lt_cert_item *items, size_t count,
				    char **out, size_t *out_len)
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
		return lt_err(LETHE_ERR_INVALID, "chain.txt would exceed %d bytes",
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
		if (!uuid_valid_str(items[i].name))
			return lt_err(LETHE_ERR_INVALID, "certificate %zu: name is not a lower-case "
				      "UUID", i + 1);
		if (items[i].json == NULL || items[i].sig == NULL)
			return lt_err(LETHE_ERR_INVALID, "certificate %s: no bytes or signature",
				      items[i].name);
	}
	rc = lt_cert_verify_chain(pub, items, count, keep_first, &first);
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INTEGRITY, "refusing to export evidence that does not "
			      "verify (%llu problems; first: %s)", (unsigned long long)first.count,
			      first.text);
	return rc;
}

/* Write @p name in @p dir (atomically, 0644) unless it already holds exactly these bytes:
 * a re-export rewrites nothing that has not changed. */
static enum lethe_err write_entry(const char *dir, int dirfd, const char *name,
				  const void *data, size_t len)
{
	char path[PATH_MAX];
	uint8_t *old = NULL;
	size_t old_len;
	bool same;

	if (read_entry(dirfd, name, len, &old, &old_len) == LETHE_OK) {
		same = old_len == len && memcmp(old, data, len) == 0;
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
	if (rc == LETHE_OK && (old_len != strlen(pub_pem) || memcmp(old, pub_pem, old_len) != 0))
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

/* Sign chain.txt, and check that the seed belongs to the public key being published. */
static enum lethe_err sign_listing(const uint8_t seed[32], const uint8_t pub[32],
				   const char *listing, size_t len, uint8_t sig[64])
{
	enum lethe_err rc;

	rc = lt_cert_sign(seed, listing, len, sig);
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
				  const uint8_t seed[32])
{
	uint8_t pub[LT_ED25519_PUB_LEN], chain_sig[LT_ED25519_SIG_LEN];
	char *listing = NULL;
	size_t listing_len = 0;
	enum lethe_err rc;
	int dirfd = -1;

	if (dir == NULL || pub_pem == NULL || seed == NULL || (items == NULL && count > 0))
		return lt_err(LETHE_ERR_INVALID, "evidence export: missing argument");
	rc = lt_ed25519_pub_from_pem(pub_pem, strlen(pub_pem), pub);
	if (rc == LETHE_OK)
		rc = export_check(pub, items, count);
	if (rc == LETHE_OK)
		rc = listing_build(items, count, &listing, &listing_len);
	if (rc == LETHE_OK)
		rc = sign_listing(seed, pub, listing, listing_len, chain_sig);
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

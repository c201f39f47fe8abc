/* cert_verify.c - verifying disposal certificates and chains of them.
 *
 * A chain is checked one certificate at a time (struct lt_cert_chain keeps only what the next
 * one is checked against), so that evidence.c streams a directory of any size through the
 * same code. Each certificate is checked in full, even after a bad signature, and every
 * problem is reported: an auditor wants the whole list, not the first failure.
 */
#include "retention/cert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "crypt/prim.h"
#include "retention/cert_internal.h"
#include "retention/group.h"
#include "retention/policy.h"

#define PROBLEM_MAX 512

/* ---- small syntax checks ---------------------------------------------------------------- */

/* A SHA-256 as certificates write it: 64 lower-case hex digits. */
static bool hex32_valid(const char *s)
{
	return lt_hex_valid(s, LT_SHA256_LEN);
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

/* ---- what a certificate must contain ------------------------------------------------------ */

enum field_kind {
	F_OBJECT, /* a JSON object (its fields follow in the table) */
	F_CONST,  /* a string equal to the rule's constant */
	F_TEXT,   /* any string */
	F_TEXT_OR_NULL,
	F_VERSION, /* the integer LT_CERT_VERSION */
	F_UINT,    /* an integer in 0..2^53-1 */
	F_BOOL,
	F_UUID,
	F_GROUP,
	F_HEX32,  /* 64 lower-case hex digits */
	F_TIME,   /* RFC 3339 UTC, "2026-11-23T11:34:05Z" */
	F_REASON, /* "retention-expired" or "manual" */
};

struct field_rule {
	const char *path; /* from the root, "." between levels */
	enum field_kind kind;
	const char *constant; /* F_CONST only */
	unsigned only;        /* 0: every version; else the one version that has the field */
};

/* Every field of a certificate, in the order lt_cert_build writes them (name_sha256 in
 * version 1, name_commit in version 2 in its place). */
static const struct field_rule cert_rules[] = {
    {"type", F_CONST, LT_CERT_TYPE, 0},
    {"version", F_VERSION, NULL, 0},
    {"certificate_id", F_UUID, NULL, 0},
    {"seq", F_UINT, NULL, 0},
    {"store_id", F_UUID, NULL, 0},
    {"object", F_OBJECT, NULL, 0},
    {"object.id", F_UUID, NULL, 0},
    {"object.group", F_GROUP, NULL, 0},
    {"object.name_sha256", F_HEX32, NULL, 1},
    {"object.name_commit", F_HEX32, NULL, 2},
    {"object.size", F_UINT, NULL, 0},
    {"object.ciphertext_sha256", F_HEX32, NULL, 0},
    {"object.created_at", F_TIME, NULL, 0},
    {"object.retain_until", F_TIME, NULL, 0},
    {"policy", F_OBJECT, NULL, 0},
    {"policy.group", F_GROUP, NULL, 0},
    {"policy.retention", F_TEXT, NULL, 0},
    {"policy.retention_seconds", F_UINT, NULL, 0},
    {"policy.lock", F_BOOL, NULL, 0},
    {"reason", F_OBJECT, NULL, 0},
    {"reason.code", F_REASON, NULL, 0},
    {"reason.text", F_TEXT_OR_NULL, NULL, 0},
    {"reason.forced", F_BOOL, NULL, 0},
    {"hold_check", F_CONST, LT_CERT_HOLD_CHECK, 0},
    {"sanitization", F_OBJECT, NULL, 0},
    {"sanitization.method", F_CONST, LT_CERT_METHOD, 0},
    {"sanitization.standard", F_CONST, LT_CERT_STANDARD, 0},
    {"sanitization.destroyed", F_OBJECT, NULL, 0},
    {"sanitization.destroyed.dek_id", F_UUID, NULL, 0},
    {"sanitization.destroyed.kek_version", F_UINT, NULL, 0},
    {"sanitization.verification", F_CONST, LT_CERT_VERIFICATION, 0},
    {"actor", F_OBJECT, NULL, 0},
    {"actor.uid", F_UINT, NULL, 0},
    {"actor.user", F_TEXT, NULL, 0},
    {"actor.keyslot", F_TEXT, NULL, 0},
    {"host", F_TEXT, NULL, 0},
    {"tool", F_OBJECT, NULL, 0},
    {"tool.name", F_CONST, "lethe", 0},
    {"tool.version", F_TEXT, NULL, 0},
    {"shredded_at", F_TIME, NULL, 0},
    {"prev_sha256", F_HEX32, NULL, 0},
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
		return "1 or 2 (the versions this verifier knows)";
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

static bool value_matches(const struct field_rule *rule, const struct lt_json *v)
{
	const char *s = lt_json_string(v);
	int64_t i = -1;
	int64_t seconds;

	(void) lt_json_int(v, &i);
	switch (rule->kind) {
	case F_OBJECT:
		return lt_json_is_object(v);
	case F_CONST:
		return s != NULL && strcmp(s, rule->constant) == 0;
	case F_TEXT:
		return s != NULL;
	case F_TEXT_OR_NULL:
		return s != NULL || lt_json_is_null(v);
	case F_VERSION:
		return i == 1 || i == 2;
	case F_UINT:
		return i >= 0 && (uint64_t) i <= LT_CERT_UINT_MAX;
	case F_BOOL:
		return lt_json_is_bool(v);
	case F_UUID:
		return s != NULL && lt_uuid_valid(s);
	case F_GROUP:
		return s != NULL && lt_group_name_valid(s);
	case F_HEX32:
		return s != NULL && hex32_valid(s);
	case F_TIME:
		return s != NULL && time_text_valid(s, &seconds);
	case F_REASON:
		return s != NULL && (strcmp(s, LT_CERT_REASON_EXPIRED) == 0 ||
				     strcmp(s, LT_CERT_REASON_MANUAL) == 0);
	}
	return false;
}

/*
 * The value at dotted @p path, or NULL. *parent_ok is false when a level above it is missing
 * or not an object: that was reported already, so the field is not reported again.
 */
static const struct lt_json *lookup(const struct lt_json *root, const char *path, bool *parent_ok)
{
	char part[64];
	const struct lt_json *node = root;

	*parent_ok = true;
	for (;;) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t) (dot - path) : strlen(path);

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		node = lt_json_get(node, part);
		if (dot == NULL)
			return node;
		if (!lt_json_is_object(node)) {
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

/* Does rule @p r apply to a certificate of @p version? */
static bool rule_applies(size_t r, unsigned version)
{
	return cert_rules[r].only == 0 || cert_rules[r].only == version;
}

/* The version whose fields a certificate is checked for: its own when known, else the
 * current one (a wrong "version" is reported by its own rule). */
static unsigned cert_version(const struct lt_json *root)
{
	int64_t v = 0;

	(void) lt_json_int(lt_json_get(root, "version"), &v);
	return v == 1 ? 1 : LT_CERT_VERSION;
}

/* Index among the rules of @p key directly under @p prefix, or -1. */
static long child_rule(const char *prefix, const char *key, unsigned version)
{
	const char *leaf;

	for (size_t r = 0; r < N_RULES; r++) {
		if (rule_applies(r, version) && direct_child(cert_rules[r].path, prefix, &leaf) &&
		    strcmp(leaf, key) == 0)
			return (long) r;
	}
	return -1;
}

/* ---- chain verification state ------------------------------------------------------------- */

void lt_cert_chain_init(struct lt_cert_chain *c, const uint8_t *pub, lt_cert_problem_fn fn,
			void *ctx)
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
		if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e)
			*s = '?';
	}
}

void lt_cert_report(struct lt_cert_chain *c, const char *where, const char *fmt, ...)
{
	char what[PROBLEM_MAX];
	char at[PROBLEM_MAX];
	va_list ap;

	c->problems++;
	if (c->fn == NULL)
		return;
	(void) snprintf(at, sizeof(at), "%s", where);
	va_start(ap, fmt);
	(void) vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
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
	char prev_sha256[LT_CERT_HEX_LEN + 1];
};

/* Report every field that is missing or of the wrong kind; true if all are right. */
static bool check_rules(struct lt_cert_chain *c, const char *where, const struct lt_json *root)
{
	unsigned version = cert_version(root);
	bool all_ok = true;

	for (size_t r = 0; r < N_RULES; r++) {
		bool parent_ok;
		const struct lt_json *v = lookup(root, cert_rules[r].path, &parent_ok);

		if (!rule_applies(r, version) || !parent_ok)
			continue;
		if (v == NULL) {
			lt_cert_report(c, where, "field %s is missing", cert_rules[r].path);
			all_ok = false;
		} else if (!value_matches(&cert_rules[r], v)) {
			lt_cert_report(c, where, "field %s is not %s", cert_rules[r].path,
				       kind_expectation(&cert_rules[r]));
			all_ok = false;
		}
	}
	return all_ok;
}

/* The members of one object being checked against the rules (@p prefix: its path). */
struct keys_walk {
	struct lt_cert_chain *c;
	const char *where;
	const char *prefix;
	unsigned version;
	long last;
	bool ok;
};

static int check_key(const char *key, const struct lt_json *value, void *ctx)
{
	struct keys_walk *w = ctx;
	long r = child_rule(w->prefix, key, w->version);

	(void) value;
	if (r < 0) {
		lt_cert_report(w->c, w->where, "unexpected field %s%s%s", w->prefix,
			       *w->prefix ? "." : "", key);
		w->ok = false;
	} else if (r < w->last) {
		lt_cert_report(w->c, w->where, "field %s is out of order", cert_rules[r].path);
		w->ok = false;
	} else {
		w->last = r;
	}
	return 0;
}

/* Report fields the format does not have, or out of order, in one object (@p prefix). */
static bool check_keys_at(struct lt_cert_chain *c, const char *where, const struct lt_json *obj,
			  const char *prefix, unsigned version)
{
	struct keys_walk w = {c, where, prefix, version, -1, true};

	(void) lt_json_each(obj, check_key, &w);
	return w.ok;
}

/* The exact set and order of fields: the verifier accepts only what lt_cert_build writes. */
static bool check_keys(struct lt_cert_chain *c, const char *where, const struct lt_json *root)
{
	unsigned version = cert_version(root);
	bool ok = check_keys_at(c, where, root, "", version);

	for (size_t r = 0; r < N_RULES; r++) {
		bool parent_ok;
		const struct lt_json *obj;

		if (cert_rules[r].kind != F_OBJECT)
			continue;
		obj = lookup(root, cert_rules[r].path, &parent_ok);
		if (lt_json_is_object(obj))
			ok = check_keys_at(c, where, obj, cert_rules[r].path, version) && ok;
	}
	return ok;
}

static const char *get_text(const struct lt_json *root, const char *path)
{
	bool parent_ok;

	return lt_json_string(lookup(root, path, &parent_ok));
}

static const struct lt_json *lookup_value(const struct lt_json *root, const char *path)
{
	bool parent_ok;

	return lookup(root, path, &parent_ok);
}

static bool get_bool(const struct lt_json *root, const char *path)
{
	bool parent_ok;

	return lt_json_is_true(lookup(root, path, &parent_ok));
}

/*
 * What a well-formed certificate must say about itself, beyond its fields' types. Called only
 * when every field passed check_rules(). These are policy facts the evidence demonstrates: a
 * signed certificate that contradicts the retention rules is reported, not believed.
 */
static void check_semantics(struct lt_cert_chain *c, const char *where, const struct lt_json *root)
{
	const char *code = get_text(root, "reason.code");
	const char *text = get_text(root, "reason.text");
	bool forced = get_bool(root, "reason.forced");
	struct lt_cert_facts *f = &c->last_facts;
	int64_t retention = 0;
	char shown[32];

	if (strcmp(get_text(root, "object.group"), get_text(root, "policy.group")) != 0)
		lt_cert_report(c, where, "policy.group differs from object.group");
	if (forced && strcmp(code, LT_CERT_REASON_MANUAL) != 0)
		lt_cert_report(c, where, "reason.forced is true but reason.code is not \"manual\"");
	if (strcmp(code, LT_CERT_REASON_MANUAL) == 0 && (text == NULL || text[0] == '\0'))
		lt_cert_report(c, where, "a manual shred without reason.text");
	memset(f, 0, sizeof(*f));
	snprintf(f->object_id, sizeof(f->object_id), "%s", get_text(root, "object.id"));
	snprintf(f->group, sizeof(f->group), "%s", get_text(root, "object.group"));
	(void) time_text_valid(get_text(root, "object.created_at"), &f->created_at);
	(void) time_text_valid(get_text(root, "object.retain_until"), &f->retain_until);
	(void) time_text_valid(get_text(root, "shredded_at"), &f->shredded_at);
	(void) lt_json_int(lookup_value(root, "policy.retention_seconds"), &retention);
	f->retention = retention;
	f->lock = get_bool(root, "policy.lock");
	f->forced = forced;
	c->last_facts_ok = true;

	/* retain_until was fixed at the put as created_at plus the policy, and only ever
	 * lengthened since: one earlier than that was shortened, by no path lethe has. */
	if (f->retain_until < lt_retention_until(f->created_at, retention))
		lt_cert_report(c, where,
			       "object.retain_until is earlier than object.created_at plus "
			       "policy.retention_seconds: the retention it states was not kept");
	if (strcmp(get_text(root, "policy.retention"),
		   (lt_duration_format(retention, shown, sizeof(shown)), shown)) != 0)
		lt_cert_report(c, where, "policy.retention does not say policy.retention_seconds");
	if (f->shredded_at < f->created_at)
		lt_cert_report(c, where, "shredded_at is earlier than object.created_at");
	/* Certificates are issued in order: a later one shredded earlier means the clock ran
	 * backwards (or the chain was rebuilt). */
	if (c->have_shredded_at && f->shredded_at < c->max_shredded_at) {
		char before[32];

		lt_time_format(c->max_shredded_at, before, sizeof(before));
		lt_cert_report(
		    c, where,
		    "shredded_at goes backwards: earlier than %s in a certificate before "
		    "it",
		    before);
	}
	if (!c->have_shredded_at || f->shredded_at > c->max_shredded_at)
		c->max_shredded_at = f->shredded_at;
	c->have_shredded_at = true;
	if (f->shredded_at >= f->retain_until)
		return;
	if (f->lock)
		lt_cert_report(c, where,
			       "shredded before retain_until in a locked (compliance mode) group");
	else if (!forced)
		lt_cert_report(c, where, "shredded before retain_until without an officer's force");
}

static void copy_if_valid(const struct lt_json *root, const char *key, bool (*valid)(const char *),
			  char *out, size_t out_size, bool *has)
{
	const char *s = lt_json_string(lt_json_get(root, key));

	*has = s != NULL && valid(s) && strlen(s) < out_size;
	if (*has)
		memcpy(out, s, strlen(s) + 1);
}

/* Pull out what links the certificate into the chain, as far as it is well-formed. */
static void view_extract(const struct lt_json *root, struct cert_view *v)
{
	int64_t seq = -1;

	v->has_seq = lt_json_int(lt_json_get(root, "seq"), &seq) && seq >= 0 &&
		     (uint64_t) seq <= LT_CERT_UINT_MAX;
	if (v->has_seq)
		v->seq = (uint64_t) seq;
	copy_if_valid(root, "certificate_id", lt_uuid_valid, v->certificate_id,
		      sizeof(v->certificate_id), &v->has_id);
	copy_if_valid(root, "store_id", lt_uuid_valid, v->store_id, sizeof(v->store_id),
		      &v->has_store_id);
	copy_if_valid(root, "prev_sha256", hex32_valid, v->prev_sha256, sizeof(v->prev_sha256),
		      &v->has_prev);
}

/*
 * The signed bytes must be exactly what lt_cert_build would write for the parsed value, so
 * that a text tool (the auditor's sed) and a JSON parser can never read different values.
 */
static enum lethe_err check_canonical(struct lt_cert_chain *c, const char *where,
				      const struct lt_json *root, const uint8_t *json, size_t len)
{
	char *again;
	size_t need;

	if (lt_json_dump(root, LT_CERT_JSON_FORM, &again, &need) != LETHE_OK)
		return lt_err(LETHE_ERR_NOMEM, "certificate: out of memory");
	if (need + 1 != len || json[len - 1] != '\n' || memcmp(again, json, need) != 0)
		lt_cert_report(c, where,
			       "not in canonical form (compact JSON and one final newline)");
	free(again);
	return LETHE_OK;
}

/* Parse one certificate and check its content; @p v receives its chain fields. */
static enum lethe_err check_content(struct lt_cert_chain *c, const char *where, const uint8_t *json,
				    size_t len, struct cert_view *v)
{
	struct lt_json *root;
	enum lethe_err rc;
	bool fields_ok;

	memset(v, 0, sizeof(*v));
	c->last_facts_ok = false;
	if (len > LT_CERT_JSON_MAX) {
		lt_cert_report(c, where, "larger than %d bytes", LT_CERT_JSON_MAX);
		return LETHE_OK;
	}
	/* Duplicate keys would let two readers see two different certificates. */
	if (lt_json_parse(json, len, LT_JSON_NO_DUPLICATES, &root) != LETHE_OK) {
		lt_cert_report(c, where, "not valid JSON: %s", lt_err_detail());
		lt_err_clear(); /* reported: not left as a detail */
		return LETHE_OK;
	}
	if (!lt_json_is_object(root)) {
		lt_cert_report(c, where, "not a JSON object");
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
	lt_json_free(root);
	return rc;
}

/* The links to the rest of the chain: seq, prev_sha256, id, store. */
static void check_links(struct lt_cert_chain *c, const char *where, const char *expect_id,
			const struct cert_view *v)
{
	char prev_hex[LT_CERT_HEX_LEN + 1];

	if (v->has_seq && v->seq != c->expected_seq)
		lt_cert_report(
		    c, where,
		    "seq is %llu, expected %llu: a certificate is missing, duplicated or out "
		    "of order",
		    (unsigned long long) v->seq, (unsigned long long) c->expected_seq);
	if (v->has_prev && c->prev_known) {
		lt_hex(c->prev_sha256, LT_SHA256_LEN, prev_hex);
		if (strcmp(prev_hex, v->prev_sha256) != 0 && c->position == 1)
			lt_cert_report(c, where,
				       "prev_sha256 is not zero in the first certificate: "
				       "certificates before it are missing");
		else if (strcmp(prev_hex, v->prev_sha256) != 0)
			lt_cert_report(c, where,
				       "prev_sha256 is not the SHA-256 of the previous "
				       "certificate: the chain is broken here");
	}
	if (expect_id != NULL && v->has_id && strcmp(expect_id, v->certificate_id) != 0)
		lt_cert_report(c, where, "certificate_id is %s, not the id it is filed under",
			       v->certificate_id);
	if (v->has_store_id && !c->have_store_id) {
		memcpy(c->store_id, v->store_id, sizeof(c->store_id));
		c->have_store_id = true;
	} else if (v->has_store_id && strcmp(c->store_id, v->store_id) != 0) {
		lt_cert_report(c, where, "store_id %s differs from the first certificate's %s",
			       v->store_id, c->store_id);
	}
}

/*
 * Check the certificate at the next position: signature (when @p sig is not NULL; a missing
 * signature is reported by the caller, who knows why), content, and links to its predecessor.
 * Only a failure to check at all (memory, the crypto library) is returned as an error.
 */
enum lethe_err lt_cert_chain_check(struct lt_cert_chain *c, const char *where,
				   const char *expect_id, const uint8_t *json, size_t len,
				   const uint8_t *sig)
{
	struct cert_view v;
	enum lethe_err rc;

	c->position++;
	if (sig != NULL) {
		rc = lt_ed25519_verify(c->pub, json, len, sig);
		if (rc == LETHE_ERR_INTEGRITY)
			lt_cert_report(c, where, "signature does not verify");
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
void lt_cert_chain_skip(struct lt_cert_chain *c)
{
	c->position++;
	c->expected_seq++;
	c->prev_known = false;
}

enum lethe_err lt_cert_chain_result(const struct lt_cert_chain *c)
{
	if (c->problems > c->io_problems)
		return lt_err(LETHE_ERR_INTEGRITY, "disposal evidence: %llu problem%s found",
			      (unsigned long long) c->problems, c->problems == 1 ? "" : "s");
	if (c->io_problems > 0)
		return lt_err(LETHE_ERR_IO, "disposal evidence: %llu file%s could not be read",
			      (unsigned long long) c->io_problems, c->io_problems == 1 ? "" : "s");
	return LETHE_OK;
}

enum lethe_err lt_cert_verify_chain(const uint8_t pub[LT_ED25519_PUB_LEN],
				    const struct lt_cert_item *items, size_t count,
				    lt_cert_problem_fn fn, void *ctx)
{
	struct lt_cert_chain c;
	enum lethe_err rc;

	lt_cert_chain_init(&c, pub, fn, ctx);
	for (size_t i = 0; i < count; i++) {
		const struct lt_cert_item *item = &items[i];
		char where[64];
		const char *expect_id;

		if (item->name != NULL)
			(void) snprintf(where, sizeof(where), "%s", item->name);
		else
			(void) snprintf(where, sizeof(where), "certificate #%zu", i + 1);
		if (item->json == NULL) {
			lt_cert_report(&c, where, "no certificate bytes");
			lt_cert_chain_skip(&c);
			continue;
		}
		if (item->sig == NULL)
			lt_cert_report(&c, where, "no signature");
		expect_id = lt_uuid_valid(item->name) ? item->name : NULL;
		rc = lt_cert_chain_check(&c, where, expect_id, item->json, item->len, item->sig);
		if (rc != LETHE_OK)
			return rc;
	}
	return lt_cert_chain_result(&c);
}

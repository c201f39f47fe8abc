/* hold.c - legal holds that stack (retention/hold.h): the reference rule, the wording of a
 * clear in the audit log, and the replay of the log's hold records. */
#include "retention/hold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

enum lethe_err lt_hold_ref_check(const char *ref)
{
	size_t len = ref ? strlen(ref) : 0;

	if (len == 0)
		return lt_err(LETHE_ERR_INVALID, "a hold needs a reference (the case id)");
	if (len > LETHE_REASON_MAX)
		return lt_err(LETHE_ERR_INVALID, "hold reference longer than %d bytes",
			      LETHE_REASON_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) ref[i];

		if (c < 0x20 || c == 0x7f)
			return lt_err(LETHE_ERR_INVALID,
				      "hold reference has a control character at byte %zu: a "
				      "case id is one line",
				      i + 1);
	}
	return LETHE_OK;
}

void lt_hold_clear_detail(const char *ref, const char *why, char *buf, size_t len)
{
	if (why && *why)
		(void) snprintf(buf, len, "%s\t%s", ref, why);
	else
		(void) snprintf(buf, len, "%s", ref);
}

static size_t find(const struct lt_hold_refs *r, const char *ref, size_t len)
{
	for (size_t i = 0; i < r->n; i++)
		if (strlen(r->ref[i]) == len && memcmp(r->ref[i], ref, len) == 0)
			return i;
	return r->n;
}

enum lethe_err lt_hold_refs_apply(struct lt_hold_refs *r, bool set, bool legacy, const char *text,
				  uint64_t seq)
{
	/* a clear's reference ends at its tab; a set's text is its reference */
	size_t len = set ? strlen(text) : strcspn(text, "\t"), i;

	if (legacy)
		r->n = 0; /* one hold at most: replaced, or cleared */
	if (legacy && !set)
		return LETHE_OK;
	if (len > LETHE_REASON_MAX)
		len = LETHE_REASON_MAX;
	i = find(r, text, len);
	if (!set) {
		if (i < r->n) {
			memmove(r->ref[i], r->ref[i + 1], (r->n - i - 1) * sizeof(r->ref[0]));
			memmove(&r->seq[i], &r->seq[i + 1], (r->n - i - 1) * sizeof(r->seq[0]));
			r->n--;
		}
		return LETHE_OK;
	}
	if (i < r->n)
		return LETHE_OK; /* the same reference again */
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 4;
		void *p = realloc(r->ref, cap * sizeof(r->ref[0]));

		if (p)
			r->ref = p;
		p = p ? realloc(r->seq, cap * sizeof(r->seq[0])) : NULL;
		if (!p)
			return lt_err(LETHE_ERR_NOMEM, "out of memory for hold references");
		r->seq = p;
		r->cap = cap;
	}
	memcpy(r->ref[r->n], text, len);
	r->ref[r->n][len] = '\0';
	r->seq[r->n] = seq;
	r->n++;
	return LETHE_OK;
}

enum lethe_err lt_hold_legacy_until(struct lt_db *db, uint64_t *seq)
{
	char text[24] = "";
	size_t len = 0;
	enum lethe_err rc;

	*seq = 0;
	rc = lt_db_meta_get(db, "holds_stacked_after", text, sizeof(text) - 1, &len);
	if (rc == LETHE_ERR_NOT_FOUND) {
		lt_err_clear();
		return LETHE_OK;
	}
	if (rc == LETHE_OK && len < sizeof(text)) {
		text[len] = '\0';
		*seq = strtoull(text, NULL, 10);
	}
	return rc;
}

uint64_t lt_hold_refs_newest(const struct lt_hold_refs *r)
{
	uint64_t newest = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->seq[i] > newest)
			newest = r->seq[i];
	return newest;
}

void lt_hold_refs_free(struct lt_hold_refs *r)
{
	free(r->ref);
	free(r->seq);
	memset(r, 0, sizeof(*r));
}

/* json.c - JSON on jansson: building, parsing, reading and the serialised forms.
 *
 * A struct lt_json is a jansson json_t; the cast lives only in this file. jansson keeps the
 * members of an object in insertion order (since 2.8, which JSON_PRESERVE_ORDER still names
 * for readers of the flags), which is what makes LT_JSON_COMPACT and LT_JSON_ASCII
 * reproducible.
 */
#include "common/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/utf8.h"

_Static_assert(sizeof(json_int_t) == sizeof(int64_t), "JSON integers are 64-bit");

static json_t *J(const struct lt_json *value)
{
	return (json_t *) value;
}

static struct lt_json *L(json_t *value)
{
	return (struct lt_json *) value;
}

static size_t dump_flags(enum lt_json_form form)
{
	switch (form) {
	case LT_JSON_COMPACT:
		return JSON_COMPACT | JSON_PRESERVE_ORDER;
	case LT_JSON_ASCII:
		return JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER;
	case LT_JSON_SORTED:
		return JSON_COMPACT | JSON_SORT_KEYS;
	}
	return JSON_COMPACT;
}

/* ---- building ---------------------------------------------------------------------------- */

static void build_fail(struct lt_json_build *b, enum lethe_err rc)
{
	if (b->rc == LETHE_OK)
		b->rc = rc;
}

void lt_json_begin(struct lt_json_build *b)
{
	memset(b, 0, sizeof(*b));
	b->root = L(json_object());
	if (b->root == NULL) {
		build_fail(b, lt_err(LETHE_ERR_NOMEM, "out of memory building JSON"));
		return;
	}
	b->open[0] = b->root;
	b->depth = 1;
}

/* Add @p value (its reference is taken, even on failure) to the innermost open container. */
static bool build_put(struct lt_json_build *b, const char *key, json_t *value)
{
	json_t *parent;
	int r;

	if (b->rc != LETHE_OK) {
		json_decref(value);
		return false;
	}
	if (value == NULL) {
		build_fail(b, lt_err(LETHE_ERR_NOMEM, "out of memory building JSON"));
		return false;
	}
	parent = J(b->open[b->depth - 1]);
	if (json_is_array(parent)) {
		r = json_array_append_new(parent, value);
	} else if (key == NULL) {
		json_decref(value);
		build_fail(b, lt_err(LETHE_ERR_INTERNAL, "JSON object member without a name"));
		return false;
	} else {
		r = json_object_set_new(parent, key, value);
	}
	if (r != 0) {
		build_fail(b, lt_err(LETHE_ERR_NOMEM, "out of memory building JSON"));
		return false;
	}
	return true;
}

void lt_json_add_string(struct lt_json_build *b, const char *key, const char *value)
{
	json_t *s;

	if (b->rc != LETHE_OK)
		return;
	if (value == NULL) {
		build_put(b, key, json_null());
		return;
	}
	s = json_string(value);
	if (s == NULL && !lt_utf8_valid(value)) {
		build_fail(b, lt_err(LETHE_ERR_INVALID, "JSON member %s: not valid UTF-8",
				     key ? key : "(array element)"));
		return;
	}
	build_put(b, key, s);
}

void lt_json_add_int(struct lt_json_build *b, const char *key, int64_t value)
{
	if (b->rc == LETHE_OK)
		build_put(b, key, json_integer((json_int_t) value));
}

void lt_json_add_bool(struct lt_json_build *b, const char *key, bool value)
{
	if (b->rc == LETHE_OK)
		build_put(b, key, json_boolean(value));
}

void lt_json_add_value(struct lt_json_build *b, const char *key, const struct lt_json *value)
{
	if (b->rc != LETHE_OK)
		return;
	if (value == NULL) {
		build_fail(b, lt_err(LETHE_ERR_INTERNAL, "JSON member %s: no value",
				     key ? key : "(array element)"));
		return;
	}
	build_put(b, key, json_incref(J(value)));
}

static void build_open(struct lt_json_build *b, const char *key, json_t *container)
{
	if (b->rc == LETHE_OK && b->depth == LT_JSON_DEPTH_MAX) {
		json_decref(container);
		build_fail(
		    b, lt_err(LETHE_ERR_INTERNAL, "JSON nested deeper than %d", LT_JSON_DEPTH_MAX));
		return;
	}
	/* the parent holds the reference: @p container stays valid while it is open */
	if (build_put(b, key, container))
		b->open[b->depth++] = L(container);
}

void lt_json_object_open(struct lt_json_build *b, const char *key)
{
	if (b->rc == LETHE_OK)
		build_open(b, key, json_object());
}

void lt_json_array_open(struct lt_json_build *b, const char *key)
{
	if (b->rc == LETHE_OK)
		build_open(b, key, json_array());
}

void lt_json_close(struct lt_json_build *b)
{
	if (b->rc != LETHE_OK)
		return;
	if (b->depth <= 1) {
		build_fail(b, lt_err(LETHE_ERR_INTERNAL, "JSON close without an open"));
		return;
	}
	b->depth--;
}

enum lethe_err lt_json_end(struct lt_json_build *b, enum lt_json_form form, char **text,
			   size_t *len)
{
	enum lethe_err rc = b->rc;

	*text = NULL;
	*len = 0;
	if (rc == LETHE_OK && b->depth != 1)
		rc = lt_err(LETHE_ERR_INTERNAL, "JSON left %u object(s) open", b->depth - 1);
	if (rc == LETHE_OK)
		rc = lt_json_dump(b->root, form, text, len);
	json_decref(J(b->root));
	memset(b, 0, sizeof(*b));
	b->rc = LETHE_ERR_INTERNAL; /* ended: nothing more can be added */
	return rc;
}

/* ---- reading ----------------------------------------------------------------------------- */

enum lethe_err lt_json_parse(const void *text, size_t len, unsigned flags, struct lt_json **out)
{
	json_error_t jerr;
	json_t *root;

	*out = NULL;
	root = json_loadb(text, len, (flags & LT_JSON_NO_DUPLICATES) ? JSON_REJECT_DUPLICATES : 0,
			  &jerr);
	if (root == NULL)
		return lt_err(LETHE_ERR_INVALID, "%s (byte %d)", jerr.text, jerr.position);
	*out = L(root);
	return LETHE_OK;
}

void lt_json_free(struct lt_json *value)
{
	json_decref(J(value));
}

const struct lt_json *lt_json_get(const struct lt_json *object, const char *key)
{
	return L(json_object_get(J(object), key));
}

const struct lt_json *lt_json_at(const struct lt_json *array, size_t index)
{
	return L(json_array_get(J(array), index));
}

size_t lt_json_size(const struct lt_json *value)
{
	if (json_is_object(J(value)))
		return json_object_size(J(value));
	return json_array_size(J(value));
}

bool lt_json_is_object(const struct lt_json *value)
{
	return json_is_object(J(value));
}

bool lt_json_is_array(const struct lt_json *value)
{
	return json_is_array(J(value));
}

bool lt_json_is_null(const struct lt_json *value)
{
	return json_is_null(J(value));
}

bool lt_json_is_bool(const struct lt_json *value)
{
	return json_is_boolean(J(value));
}

bool lt_json_is_true(const struct lt_json *value)
{
	return json_is_true(J(value));
}

const char *lt_json_string(const struct lt_json *value)
{
	return json_string_value(J(value));
}

bool lt_json_int(const struct lt_json *value, int64_t *out)
{
	if (!json_is_integer(J(value)))
		return false;
	*out = (int64_t) json_integer_value(J(value));
	return true;
}

int lt_json_each(const struct lt_json *object, lt_json_member_fn fn, void *ctx)
{
	const char *key;
	json_t *value;

	json_object_foreach(J(object), key, value)
	{
		int r = fn(key, L(value), ctx);

		if (r != 0)
			return r;
	}
	return 0;
}

/* The text as jansson writes it out, in one pass (sizing it first would write it twice: a
 * certificate is serialised for every shred of a sweep). */
struct dump_buf {
	char *p;
	size_t len, cap;
};

static int dump_chunk(const char *chunk, size_t size, void *data)
{
	struct dump_buf *d = data;

	if (size >= d->cap - d->len) {
		size_t cap = d->cap;
		char *more;

		while (size >= cap - d->len) {
			if (cap > SIZE_MAX / 2)
				return -1;
			cap *= 2;
		}
		/* not realloc: what JSON holds is not always public, and no stale copy is left */
		more = malloc(cap);
		if (more == NULL)
			return -1;
		memcpy(more, d->p, d->len);
		explicit_bzero(d->p, d->cap);
		free(d->p);
		d->p = more;
		d->cap = cap;
	}
	memcpy(d->p + d->len, chunk, size);
	d->len += size;
	return 0;
}

enum lethe_err lt_json_dump(const struct lt_json *value, enum lt_json_form form, char **text,
			    size_t *len)
{
	struct dump_buf d = {.cap = 4096}; /* a certificate fits */

	*text = NULL;
	*len = 0;
	d.p = malloc(d.cap);
	if (d.p == NULL || json_dump_callback(J(value), dump_chunk, &d, dump_flags(form)) != 0 ||
	    d.len == 0) {
		if (d.p)
			explicit_bzero(d.p, d.cap);
		free(d.p);
		return lt_err(LETHE_ERR_NOMEM, "out of memory serialising JSON");
	}
	d.p[d.len] = '\0'; /* dump_chunk leaves room for it */
	*text = d.p;
	*len = d.len;
	return LETHE_OK;
}

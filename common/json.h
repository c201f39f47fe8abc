/* json.h - the one place the library reads and writes JSON (jansson behind it, nowhere else).
 *
 * Everything lethe signs, MACs or stores as JSON is serialised here, so one serialiser decides
 * every byte: disposal certificates (retention/), audit checkpoints and the JSON Lines audit
 * export (lib/), the LUKS2 tokens of the keystore (keys/). A value is built once (struct
 * lt_json_build) or parsed (lt_json_parse), read, serialised in one of the forms below, and
 * freed; it is never edited in place.
 *
 *     struct lt_json_build b;
 *
 *     lt_json_begin(&b);
 *     lt_json_add_string(&b, "type", "lethe-audit-checkpoint");
 *     lt_json_object_open(&b, "actor");
 *     lt_json_add_int(&b, "uid", 0);
 *     lt_json_close(&b);
 *     rc = lt_json_end(&b, LT_JSON_COMPACT, &text, &len);
 *
 * The first failure of a build sticks (the calls after it do nothing) and lt_json_end()
 * returns it, so a build reads as the layout it writes, without a check per member.
 */
#ifndef LT_COMMON_JSON_H
#define LT_COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/lethe.h"

/* A JSON value: object, array, string, integer, boolean or null. */
struct lt_json;

/* How a value becomes bytes. All are compact (no white space outside strings). */
enum lt_json_form {
	/* UTF-8 as is, members in the order they were added or parsed. */
	LT_JSON_COMPACT,
	/* As LT_JSON_COMPACT, and ASCII only: non-ASCII and control characters in strings are
	 * \u-escaped, so signed bytes never depend on a terminal's or a tool's idea of an
	 * encoding (disposal certificates). */
	LT_JSON_ASCII,
	/* As LT_JSON_COMPACT, members sorted by key at every level. */
	LT_JSON_SORTED,
};

/* ---- building ---------------------------------------------------------------------------- */

#define LT_JSON_DEPTH_MAX 8

/* A value being built: an object at the root, objects and arrays opened inside it. */
struct lt_json_build {
	struct lt_json *root;
	struct lt_json *open[LT_JSON_DEPTH_MAX]; /* the root and the objects/arrays inside */
	unsigned depth;
	enum lethe_err rc; /* the first failure, with its detail recorded */
};

/* Start a build whose root is an object. */
void lt_json_begin(struct lt_json_build *b);

/*
 * Add a member to the innermost open object (under @p key) or an element to the innermost open
 * array (@p key is then ignored). A string must be valid UTF-8 (LETHE_ERR_INVALID otherwise);
 * a NULL string is JSON null. lt_json_add_value() adds a parsed value (a reference to it: the
 * caller still frees its own).
 */
void lt_json_add_string(struct lt_json_build *b, const char *key, const char *value);
void lt_json_add_int(struct lt_json_build *b, const char *key, int64_t value);
void lt_json_add_bool(struct lt_json_build *b, const char *key, bool value);
void lt_json_add_value(struct lt_json_build *b, const char *key, const struct lt_json *value);

/* Open an object or an array as a member (or element); what is added next goes into it. */
void lt_json_object_open(struct lt_json_build *b, const char *key);
void lt_json_array_open(struct lt_json_build *b, const char *key);
/* Close the innermost open object or array. */
void lt_json_close(struct lt_json_build *b);

/*
 * Finish the build: its bytes in @p form (malloc'd, NUL-terminated; *len excludes the NUL)
 * into *text, and the value is freed. On failure *text is NULL and nothing is left to free.
 * @return LETHE_OK; the build's first failure: LETHE_ERR_INVALID (a string that is not UTF-8),
 *         LETHE_ERR_NOMEM, LETHE_ERR_INTERNAL (open and close calls that do not match).
 */
enum lethe_err lt_json_end(struct lt_json_build *b, enum lt_json_form form, char **text,
			   size_t *len);

/* ---- reading ----------------------------------------------------------------------------- */

/* lt_json_parse() flags. */
#define LT_JSON_NO_DUPLICATES 0x1u /* an object naming a key twice is refused */

/*
 * Parse the @p len bytes at @p text: one JSON object or array and nothing after it.
 * @return LETHE_OK and *out (lt_json_free() it); LETHE_ERR_INVALID with the detail "WHAT (byte
 *         N)" when it is not JSON (or memory ran out while parsing).
 */
enum lethe_err lt_json_parse(const void *text, size_t len, unsigned flags, struct lt_json **out);

void lt_json_free(struct lt_json *value);

/* The member @p key of @p object; NULL when there is none or @p object is not an object. */
const struct lt_json *lt_json_get(const struct lt_json *object, const char *key);

/* Its element @p index; NULL when there is none or @p array is not an array. */
const struct lt_json *lt_json_at(const struct lt_json *array, size_t index);

/* Members of an object or elements of an array; 0 for anything else. */
size_t lt_json_size(const struct lt_json *value);

/* The kind of a value; all false for NULL. */
bool lt_json_is_object(const struct lt_json *value);
bool lt_json_is_array(const struct lt_json *value);
bool lt_json_is_null(const struct lt_json *value);
bool lt_json_is_bool(const struct lt_json *value);
bool lt_json_is_true(const struct lt_json *value);

/* The text of a string; NULL for anything else. */
const char *lt_json_string(const struct lt_json *value);

/* An integer (not a real); false for anything else. */
bool lt_json_int(const struct lt_json *value, int64_t *out);

/*
 * Call @p fn for each member of @p object in order (as parsed or added) until it returns
 * non-zero, which is returned; 0 when all were visited or @p object is not an object.
 */
typedef int (*lt_json_member_fn)(const char *key, const struct lt_json *value, void *ctx);
int lt_json_each(const struct lt_json *object, lt_json_member_fn fn, void *ctx);

/*
 * The bytes of @p value in @p form, as lt_json_end() makes them (a parsed value serialised
 * again: a verifier compares it with the bytes it read).
 * @return LETHE_OK; LETHE_ERR_NOMEM.
 */
enum lethe_err lt_json_dump(const struct lt_json *value, enum lt_json_form form, char **text,
			    size_t *len);

#endif

/* uuid.h - ids: random UUIDs (libuuid) in the one text lethe writes and accepts.
 *
 * Object, certificate, data key and store ids are UUIDs in canonical text: 8-4-4-4-12
 * lower-case hex digits, LETHE_ID_LEN characters. They become file names (object files,
 * evidence files), so nothing else is ever accepted as one: no "..", no "/", no upper case
 * that would name a second file on a case-insensitive file system, no braces, no missing
 * dashes.
 */
#ifndef LT_COMMON_UUID_H
#define LT_COMMON_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/lethe.h"

/* A UUID as bytes (the object id in an LTH1 header). */
#define LT_UUID_BYTES 16

/* A new random (version 4) UUID, canonical text. */
void lt_uuid_generate(char out[LETHE_ID_LEN + 1]);

/* Is @p text (NUL-terminated; NULL is not) a UUID in canonical text? */
bool lt_uuid_valid(const char *text);

/* The same for the @p len bytes at @p s, which need no NUL (a name in a listing). */
bool lt_uuid_valid_n(const char *s, size_t len);

/* Canonical text into its 16 bytes; LETHE_ERR_INVALID with the detail if it is not one. */
enum lethe_err lt_uuid_parse(const char *text, uint8_t out[LT_UUID_BYTES]);

/*
 * The check of every object id a caller hands lethe: LETHE_OK, or LETHE_ERR_INVALID with the
 * detail "not an object id (...)".
 */
enum lethe_err lt_uuid_check(const char *id);

#endif

/* uuid.c - ids: random UUIDs from libuuid, and the canonical-text check everything uses. */
#include "common/uuid.h"

#include <string.h>
#include <uuid/uuid.h>

#include "common/err.h"

_Static_assert(sizeof(uuid_t) == LT_UUID_BYTES, "a UUID is 16 bytes");
_Static_assert(LETHE_ID_LEN == 36, "a UUID's canonical text is 36 characters");

void lt_uuid_generate(char out[LETHE_ID_LEN + 1])
{
	uuid_t uuid;

	uuid_generate_random(uuid);
	uuid_unparse_lower(uuid, out);
}

bool lt_uuid_valid_n(const char *s, size_t len)
{
	if (len != LETHE_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

bool lt_uuid_valid(const char *text)
{
	/* strnlen first: never read past a short string while checking positions */
	return text != NULL && lt_uuid_valid_n(text, strnlen(text, LETHE_ID_LEN + 1));
}

enum lethe_err lt_uuid_parse(const char *text, uint8_t out[LT_UUID_BYTES])
{
	uuid_t uuid;

	if (!lt_uuid_valid(text) || uuid_parse(text, uuid) != 0)
		return lt_err(LETHE_ERR_INVALID,
			      "not an id: expected 36 characters like "
			      "3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9d (lower-case)");
	memcpy(out, uuid, LT_UUID_BYTES);
	return LETHE_OK;
}

enum lethe_err lt_uuid_check(const char *id)
{
	if (!lt_uuid_valid(id))
		return lt_err(LETHE_ERR_INVALID, "not an object id (expected a UUID like "
						 "3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b)");
	return LETHE_OK;
}

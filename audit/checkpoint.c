/* checkpoint.c - signed audit checkpoints: the newest record's seq and MAC in canonical JSON,
 * signed with the store's Ed25519 evidence key, kept in meta.db and written outside it, so that
 * deleting the newest records (which the MAC chain alone cannot show) is detected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/timeutil.h"

enum lethe_err lt_audit_checkpoint_add(struct lt_db *db, const char *store_id,
				       struct lt_ed25519_key *signer,
				       struct lt_audit_checkpoint *cp)
{
	struct lt_db_checkpoint row;
	char mac_hex[65], when[32];
	struct lt_json_build b;
	enum lethe_err rc;

	memset(cp, 0, sizeof(*cp));
	memset(&row, 0, sizeof(row));
	rc = lt_db_audit_last(db, &row.audit_seq, row.audit_mac);
	if (rc != LETHE_OK)
		return rc;
	row.time = lt_now();
	lt_hex(row.audit_mac, 32, mac_hex);
	lt_time_format(row.time, when, sizeof(when));
	lt_json_begin(&b);
	lt_json_add_string(&b, "type", "lethe-audit-checkpoint");
	lt_json_add_int(&b, "version", 1);
	lt_json_add_string(&b, "store_id", store_id);
	lt_json_add_int(&b, "audit_seq", (int64_t) row.audit_seq);
	lt_json_add_string(&b, "audit_mac", mac_hex);
	lt_json_add_string(&b, "time", when);
	rc = lt_json_end(&b, LT_JSON_COMPACT, &cp->json, &cp->json_len);
	if (rc != LETHE_OK)
		return rc;
	cp->audit_seq = row.audit_seq;
	row.json = (const uint8_t *) cp->json;
	row.json_len = cp->json_len;
	rc = lt_ed25519_key_sign(signer, row.json, row.json_len, row.sig);
	if (rc != LETHE_OK)
		return rc;
	memcpy(cp->sig, row.sig, sizeof(cp->sig));
	return lt_db_checkpoint_insert(db, &row);
}

enum lethe_err lt_audit_checkpoint_parse(const void *json, size_t len, const char *store_id,
					 struct lt_audit_head *out)
{
	struct lt_json *root = NULL;
	const char *type, *id, *mac;
	int64_t version = 0, seq = 0;
	enum lethe_err rc = LETHE_OK;

	memset(out, 0, sizeof(*out));
	if (lt_json_parse(json, len, LT_JSON_NO_DUPLICATES, &root) != LETHE_OK)
		return lt_err(LETHE_ERR_INTEGRITY, "not a checkpoint: not JSON");
	type = lt_json_string(lt_json_get(root, "type"));
	id = lt_json_string(lt_json_get(root, "store_id"));
	mac = lt_json_string(lt_json_get(root, "audit_mac"));
	if (!type || strcmp(type, "lethe-audit-checkpoint") != 0 ||
	    !lt_json_int(lt_json_get(root, "version"), &version) || version != 1 ||
	    !lt_json_int(lt_json_get(root, "audit_seq"), &seq) || seq < 0 || !id || !mac ||
	    !lt_hex_valid(mac, 32) || lt_unhex(mac, out->mac, 32) != LETHE_OK)
		rc = lt_err(LETHE_ERR_INTEGRITY, "not a lethe audit checkpoint");
	else if (store_id && strcmp(id, store_id) != 0)
		rc = lt_err(LETHE_ERR_INTEGRITY, "a checkpoint of another store (%.36s)", id);
	if (rc == LETHE_OK)
		out->seq = (uint64_t) seq;
	lt_json_free(root);
	return rc;
}

enum lethe_err lt_audit_checkpoint_write(const char *dir, const struct lt_audit_checkpoint *cp)
{
	char path[4200];
	enum lethe_err rc;

	rc = lt_mkdir_p(dir, 0755);
	if (rc != LETHE_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/checkpoint-%llu.json", dir,
		 (unsigned long long) cp->audit_seq);
	rc = lt_write_file_atomic(path, cp->json, cp->json_len, 0644);
	if (rc != LETHE_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/checkpoint-%llu.sig", dir,
		 (unsigned long long) cp->audit_seq);
	return lt_write_file_atomic(path, cp->sig, sizeof(cp->sig), 0644);
}

void lt_audit_checkpoint_free(struct lt_audit_checkpoint *cp)
{
	free(cp->json);
	cp->json = NULL;
	cp->json_len = 0;
}

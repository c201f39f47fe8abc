/* checkpoint.c - signed audit checkpoints: the newest record's seq and MAC in canonical JSON,
 * signed with the store's Ed25519 evidence key, kept in meta.db and written outside it, so that
 * deleting the newest records (which the MAC chain alone cannot show) is detected. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/fsutil.h"
#include "common/timeutil.h"

enum lethe_err lt_audit_checkpoint_add(struct lt_db *db, const char *store_id,
				       const uint8_t seed[LT_ED25519_PRIV_LEN],
				       struct lt_audit_checkpoint *cp)
{
	struct lt_db_checkpoint row;
	char mac_hex[65], when[32];
	json_t *o;
	enum lethe_err rc;

	memset(cp, 0, sizeof(*cp));
	memset(&row, 0, sizeof(row));
	rc = lt_db_audit_last(db, &row.audit_seq, row.audit_mac);
	if (rc != LETHE_OK)
		return rc;
	row.time = lt_now();
	lt_hex(row.audit_mac, 32, mac_hex);
	lt_time_format(row.time, when, sizeof(when));
	o = json_pack("{s:s, s:i, s:s, s:I, s:s, s:s}", "type", "lethe-audit-checkpoint", "version",
		      1, "store_id", store_id, "audit_seq", (json_int_t) row.audit_seq, "audit_mac",
		      mac_hex, "time", when);
	cp->json = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!cp->json)
		return LETHE_ERR_NOMEM;
	cp->json_len = strlen(cp->json);
	cp->audit_seq = row.audit_seq;
	row.json = (const uint8_t *) cp->json;
	row.json_len = cp->json_len;
	rc = lt_ed25519_sign(seed, row.json, row.json_len, row.sig);
	if (rc != LETHE_OK)
		return rc;
	memcpy(cp->sig, row.sig, sizeof(cp->sig));
	return lt_db_checkpoint_insert(db, &row);
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

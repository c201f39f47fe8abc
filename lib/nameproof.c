/* nameproof.c - `lethe evidence prove-name`: the salt of one object's name commitment
 * revealed, so that anyone can check with openssl that a certificate is the one of a given
 * name (docs/FORMAT.md section 12); it reveals nothing about any other object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "crypt/secmem.h"
#include "keys/name.h"
#include "lib/internal.h"
#include "store/db.h"

/* The certificate of an object (found by its own id or its object's), as the store holds it. */
struct proof_cert {
	const char *id;
	char object_id[LETHE_ID_LEN + 1];
	char cert_id[LETHE_ID_LEN + 1];
	int version;
	char commit[2 * LT_SHA256_LEN + 1];
};

#define COMMIT_FIELD "\"name_commit\":\""

static int proof_cert_one(const struct lt_db_cert *c, void *ctx)
{
	struct proof_cert *p = ctx;
	const char *at;

	if (strcmp(c->id, p->id) != 0 && strcmp(c->object_id, p->id) != 0)
		return 0;
	lt_strlcpy(p->object_id, c->object_id, sizeof(p->object_id));
	lt_strlcpy(p->cert_id, c->id, sizeof(p->cert_id));
	/* the signed bytes are canonical (the verifier insists): one name_commit field, or
	 * name_sha256 in a version 1 certificate */
	at = memmem(c->json, c->json_len, COMMIT_FIELD, sizeof(COMMIT_FIELD) - 1);
	p->version = at ? 2 : 1;
	if (at &&
	    (size_t) (at - (const char *) c->json) + sizeof(COMMIT_FIELD) - 1 + 2 * LT_SHA256_LEN <=
		c->json_len)
		snprintf(p->commit, sizeof(p->commit), "%.*s", 2 * LT_SHA256_LEN,
			 at + sizeof(COMMIT_FIELD) - 1);
	return 1;
}

static enum lethe_err name_proof(struct lethe_store *st, const char *id, const char *name,
				 struct lethe_name_proof *proof, char *object_id)
{
	struct proof_cert cert = {.id = id};
	struct lt_db_object *row = NULL;
	uint8_t salt[LT_SHA256_LEN], mine[LT_SHA256_LEN];
	char commit[2 * LT_SHA256_LEN + 1];
	enum lethe_err rc;

	rc = lt_uuid_check(id);
	if (rc == LETHE_OK)
		rc = lt_db_cert_list(st->db, proof_cert_one, &cert);
	if (rc != LETHE_OK)
		return rc;
	lt_strlcpy(object_id, cert.cert_id[0] ? cert.object_id : id, LETHE_ID_LEN + 1);
	if (cert.cert_id[0] && cert.version == 1)
		return lt_err(LETHE_ERR_INVALID,
			      "certificate %s is of version 1: it states the unsalted SHA-256 of "
			      "the name (printf '%%s' NAME | sha256sum), no commitment to open",
			      cert.cert_id);
	row = calloc(1, sizeof(*row));
	if (!row)
		return LETHE_ERR_NOMEM;
	rc = lt_db_object_get(st->db, object_id, row);
	if (rc == LETHE_ERR_NOT_FOUND)
		rc = lt_err(LETHE_ERR_NOT_FOUND, "no object or certificate %s", id);
	if (rc == LETHE_OK && !row->has_name_commit)
		rc = lt_err(LETHE_ERR_INTEGRITY, "object %s holds no name commitment", row->id);
	if (rc == LETHE_OK) {
		lt_hex(row->name_commit, LT_SHA256_LEN, commit);
		/* what the signed certificate states, and what the authenticated row holds */
		if (cert.cert_id[0] && strcmp(commit, cert.commit) != 0)
			rc = lt_err(LETHE_ERR_INTEGRITY,
				    "certificate %s states another name commitment than object "
				    "%s holds",
				    cert.cert_id, row->id);
	}
	if (rc == LETHE_OK)
		rc = lt_name_salt(st->keys->name_commit, st->store_id, row->id, salt);
	if (rc == LETHE_OK && name)
		rc = lt_name_commit(salt, name, mine);
	if (rc == LETHE_OK) {
		lt_strlcpy(proof->object_id, row->id, sizeof(proof->object_id));
		lt_strlcpy(proof->cert_id, cert.cert_id, sizeof(proof->cert_id));
		lt_hex(salt, LT_SHA256_LEN, proof->salt);
		lt_strlcpy(proof->commit, commit, sizeof(proof->commit));
		proof->matches = name ? lt_memeq(mine, row->name_commit, LT_SHA256_LEN) : -1;
	}
	free(row);
	return rc;
}

LETHE_API enum lethe_err lethe_evidence_name_proof(struct lethe_store *st, const char *id,
						   const char *name, struct lethe_name_proof *proof)
{
	char object_id[LETHE_ID_LEN + 1] = "";
	struct lt_err_saved saved;
	enum lethe_err rc, audit_rc;

	lt_err_clear();
	if (proof)
		memset(proof, 0, sizeof(*proof));
	if (!st || !id || !proof)
		return lt_err(LETHE_ERR_INVALID, "a name proof needs a store, an id and a buffer");
	if (name && strlen(name) > LETHE_NAME_MAX)
		return lt_err(LETHE_ERR_INVALID, "name longer than %d bytes", LETHE_NAME_MAX);
	rc = name_proof(st, id, name, proof, object_id);
	/* a salt revealed is on the record, as a get is */
	audit_rc =
	    lt_audit_record(st, &(struct lt_audit_event){.action = "evidence.name_proof",
							 .object = object_id[0] ? object_id : id,
							 .err = rc,
							 .error = rc ? lt_err_save(&saved) : ""});
	if (rc == LETHE_OK && audit_rc != LETHE_OK)
		rc = audit_rc;
	if (rc != LETHE_OK)
		lt_cleanse(proof, sizeof(*proof)); /* no salt of a refused proof is left behind */
	return rc;
}

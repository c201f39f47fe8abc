/* rowmac.c - the canonical encoding of authenticated metadata rows (store/rowmac.h): the one
 * definition every backend computes its row MACs over. */
#include "store/rowmac.h"

#include <stdlib.h>
#include <string.h>

#define ROW_LABEL "lethe/v1/row"

enum { TAG_NULL = 0, TAG_INT = 1, TAG_TEXT = 2, TAG_BLOB = 3 };

static const char *const table_names[LT_ROW_TABLES] = {
    [LT_ROW_META] = "meta",
    [LT_ROW_KEKS] = "keks",
    [LT_ROW_OBJECTS] = "objects",
    [LT_ROW_HOLDS] = "holds",
    [LT_ROW_PENDING_UNLINKS] = "pending_unlinks",
    [LT_ROW_CERTIFICATES] = "certificates",
    [LT_ROW_CHECKPOINTS] = "checkpoints",
};

const char *lt_row_table_name(enum lt_row_table t)
{
	return (unsigned) t < LT_ROW_TABLES ? table_names[t] : "?";
}

static bool reserve(struct lt_rowenc *e, size_t more)
{
	uint8_t *p;
	size_t cap;

	if (e->failed)
		return false;
	if (more <= e->cap - e->len)
		return true;
	cap = e->cap * 2 > e->len + more ? e->cap * 2 : e->len + more + 256;
	p = e->buf == e->small ? malloc(cap) : realloc(e->buf, cap);
	if (!p) {
		e->failed = true;
		return false;
	}
	if (e->buf == e->small)
		memcpy(p, e->small, e->len);
	e->buf = p;
	e->cap = cap;
	return true;
}

static void put_be(struct lt_rowenc *e, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		e->buf[e->len++] = (uint8_t) (v >> (8 * i));
}

void lt_rowenc_null(struct lt_rowenc *e)
{
	if (reserve(e, 1))
		e->buf[e->len++] = TAG_NULL;
}

void lt_rowenc_int(struct lt_rowenc *e, int64_t v)
{
	if (!reserve(e, 9))
		return;
	e->buf[e->len++] = TAG_INT;
	put_be(e, (uint64_t) v, 8);
}

static void bytes(struct lt_rowenc *e, int tag, const void *p, size_t len)
{
	if (len > UINT32_MAX) {
		e->failed = true;
		return;
	}
	if (!reserve(e, 5 + len))
		return;
	e->buf[e->len++] = (uint8_t) tag;
	put_be(e, len, 4);
	if (len)
		memcpy(e->buf + e->len, p, len);
	e->len += len;
}

void lt_rowenc_text(struct lt_rowenc *e, const char *s, size_t max)
{
	bytes(e, TAG_TEXT, s ? s : "", s ? strnlen(s, max) : 0);
}

void lt_rowenc_blob(struct lt_rowenc *e, const void *p, size_t len)
{
	bytes(e, TAG_BLOB, p, len);
}

void lt_rowenc_begin(struct lt_rowenc *e, enum lt_row_table t)
{
	e->buf = e->small;
	e->len = 0;
	e->cap = sizeof(e->small);
	e->failed = false;
	lt_rowenc_text(e, ROW_LABEL, sizeof(ROW_LABEL));
	lt_rowenc_text(e, lt_row_table_name(t), 32);
}

void lt_rowenc_free(struct lt_rowenc *e)
{
	if (e->buf && e->buf != e->small)
		free(e->buf);
	e->buf = e->small;
	e->len = 0;
	e->cap = sizeof(e->small);
}

void lt_rowenc_meta(struct lt_rowenc *e, const char *key, const void *value, size_t len)
{
	lt_rowenc_begin(e, LT_ROW_META);
	lt_rowenc_text(e, key, 256);
	lt_rowenc_blob(e, value, len);
}

/* live_objects is not covered: triggers keep it, and nothing decides on it alone. */
void lt_rowenc_kek(struct lt_rowenc *e, const struct lt_db_kek *k)
{
	lt_rowenc_begin(e, LT_ROW_KEKS);
	lt_rowenc_int(e, k->version);
	lt_rowenc_int(e, k->primary ? 1 : 0);
	lt_rowenc_int(e, k->state);
	lt_rowenc_int(e, k->created_at);
	lt_rowenc_int(e, k->retired_at);
}

void lt_rowenc_object(struct lt_rowenc *e, const struct lt_db_object *o)
{
	lt_rowenc_begin(e, LT_ROW_OBJECTS);
	lt_rowenc_text(e, o->id, sizeof(o->id));
	lt_rowenc_text(e, o->group, sizeof(o->group));
	lt_rowenc_text(e, o->name, sizeof(o->name));
	lt_rowenc_int(e, (int64_t) o->size);
	lt_rowenc_blob(e, o->sha256, sizeof(o->sha256));
	lt_rowenc_int(e, o->created_at);
	lt_rowenc_int(e, o->retain_until);
	lt_rowenc_int(e, o->hold ? 1 : 0);
	lt_rowenc_text(e, o->hold_reason, sizeof(o->hold_reason));
	if (o->kek_version)
		lt_rowenc_int(e, o->kek_version);
	else
		lt_rowenc_null(e);
	if (o->has_dek)
		lt_rowenc_blob(e, o->wrapped_dek, sizeof(o->wrapped_dek));
	else
		lt_rowenc_null(e);
	lt_rowenc_int(e, o->state);
	lt_rowenc_int(e, o->shredded_at);
	lt_rowenc_int(e, o->seg_log2);
	lt_rowenc_int(e, o->locked ? 1 : 0);
	/* A row from before encrypted names (schema 3) ends here, so that the MACs it was sealed
	 * with still verify until its conversion; every row written since has its commitment. */
	if (!o->has_name_commit)
		return;
	if (o->has_name_enc)
		lt_rowenc_blob(e, o->name_enc, o->name_enc_len);
	else
		lt_rowenc_null(e);
	lt_rowenc_blob(e, o->name_commit, sizeof(o->name_commit));
}

void lt_rowenc_hold(struct lt_rowenc *e, const struct lt_db_hold *h)
{
	lt_rowenc_begin(e, LT_ROW_HOLDS);
	lt_rowenc_text(e, h->object, sizeof(h->object));
	lt_rowenc_text(e, h->group, sizeof(h->group));
	lt_rowenc_text(e, h->ref, sizeof(h->ref));
	lt_rowenc_int(e, h->set_at);
	lt_rowenc_text(e, h->set_by, sizeof(h->set_by));
}

void lt_rowenc_unlink(struct lt_rowenc *e, const char *id)
{
	lt_rowenc_begin(e, LT_ROW_PENDING_UNLINKS);
	lt_rowenc_text(e, id, LETHE_ID_LEN + 1);
}

void lt_rowenc_cert(struct lt_rowenc *e, const struct lt_db_cert *c)
{
	lt_rowenc_begin(e, LT_ROW_CERTIFICATES);
	lt_rowenc_int(e, (int64_t) c->seq);
	lt_rowenc_text(e, c->id, sizeof(c->id));
	lt_rowenc_text(e, c->object_id, sizeof(c->object_id));
	lt_rowenc_text(e, c->group, sizeof(c->group));
	lt_rowenc_text(e, c->reason, sizeof(c->reason));
	lt_rowenc_int(e, c->shredded_at);
	lt_rowenc_blob(e, c->json, c->json_len);
	lt_rowenc_blob(e, c->sig, sizeof(c->sig));
	lt_rowenc_blob(e, c->sha256, sizeof(c->sha256));
}

void lt_rowenc_checkpoint(struct lt_rowenc *e, const struct lt_db_checkpoint *cp)
{
	lt_rowenc_begin(e, LT_ROW_CHECKPOINTS);
	lt_rowenc_int(e, (int64_t) cp->seq);
	lt_rowenc_int(e, (int64_t) cp->audit_seq);
	lt_rowenc_blob(e, cp->audit_mac, sizeof(cp->audit_mac));
	lt_rowenc_int(e, cp->time);
	lt_rowenc_blob(e, cp->json, cp->json_len);
	lt_rowenc_blob(e, cp->sig, sizeof(cp->sig));
}

void lt_rowenc_digest(struct lt_rowenc *e, enum lt_row_table t, uint64_t count,
		      const uint8_t xor_of_macs[LT_ROWMAC_LEN])
{
	e->buf = e->small;
	e->len = 0;
	e->cap = sizeof(e->small);
	e->failed = false;
	lt_rowenc_text(e, ROW_LABEL, sizeof(ROW_LABEL));
	lt_rowenc_text(e, "row_digests", 32);
	lt_rowenc_text(e, lt_row_table_name(t), 32);
	lt_rowenc_int(e, (int64_t) count);
	lt_rowenc_blob(e, xor_of_macs, LT_ROWMAC_LEN);
}

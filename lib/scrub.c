/* scrub.c - read every live object back and check it (lethe_store_scrub): the order and the
 * position are store/'s (live objects by id), the check is crypt/'s (lt_lth_verify: the file's
 * SHA-256 and every tag in one read), the pace common/'s; this file only walks and reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/pace.h"
#include "crypt/lth.h"
#include "crypt/prim.h"
#include "crypt/secmem.h"
#include "keys/wrap.h"
#include "lib/internal.h"
#include "store/db.h"
#include "store/objstore.h"

/* meta.db: the last object a scrub reached, while a run is unfinished ("" once one ends). */
#define SCRUB_POSITION "scrub_position"
/* How often the position is saved: an interrupted run repeats at most this much. */
#define SCRUB_SAVE_EVERY_NS INT64_C(1000000000)

struct scrub {
	struct lethe_store *st;
	struct lethe_scrub_opts opts;
	lethe_scrub_fn fn;
	void *ctx;
	struct lethe_scrub_result *result;
	struct lt_pace pace;
	uint8_t *dek;                    /* lt_secmem */
	uint64_t checked, to_check;      /* plaintext bytes, for progress */
	char position[LETHE_ID_LEN + 1]; /* the last object done */
	int64_t saved_ns;                /* when the position was last saved */
	enum lethe_err rc;               /* what ended the run early */
};

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static enum lethe_err position_save(struct scrub *s)
{
	s->saved_ns = monotonic_ns();
	/* a read-only store keeps the position of the last writable run (--resume starts there) */
	if (s->st->read_only)
		return LETHE_OK;
	return lt_db_meta_set(s->st->db, SCRUB_POSITION, s->position, strlen(s->position));
}

/* Where a resumed run starts: after the saved id, or at the start when none is saved. */
static enum lethe_err position_load(struct scrub *s)
{
	char id[LETHE_ID_LEN + 1];
	size_t len = 0;
	enum lethe_err rc;

	s->position[0] = '\0';
	rc = lt_db_meta_get(s->st->db, SCRUB_POSITION, id, LETHE_ID_LEN, &len);
	if (rc == LETHE_ERR_NOT_FOUND || (rc == LETHE_OK && len == 0))
		return LETHE_OK;
	if (rc != LETHE_OK)
		return rc;
	id[len < LETHE_ID_LEN ? len : LETHE_ID_LEN] = '\0';
	/* the row is anyone's to write: a position that is not an id is not one to trust */
	if (len != LETHE_ID_LEN || lt_uuid_check(id) != LETHE_OK)
		return lt_err(LETHE_ERR_DATABASE, "the saved scrub position is not an object id");
	memcpy(s->position, id, sizeof(id));
	return LETHE_OK;
}

/* Each verified part of a file: pace the reads, count, show progress. */
static void scrub_read(uint64_t file_bytes, uint64_t plaintext_bytes, void *ctx)
{
	struct scrub *s = ctx;

	s->result->bytes += file_bytes;
	s->checked += plaintext_bytes;
	lt_pace_wait(&s->pace, file_bytes);
	lt_progress(s->st, "scrub", s->checked, s->to_check);
}

/* Read object @p row back: key, file, every tag, the file's hash and the size. */
static enum lethe_err scrub_check(struct scrub *s, const struct lt_db_object *row)
{
	struct lethe_store *st = s->st;
	uint8_t oid[16], sha[LT_SHA256_LEN];
	uint64_t size = 0;
	struct lt_bytesrc in = {0};
	enum lethe_err rc;

	rc = lt_uuid_parse(row->id, oid);
	if (rc == LETHE_OK)
		rc = lt_kek_ring_unwrap_dek(&st->keks, st->db, row, s->dek);
	if (rc == LETHE_OK) {
		rc = lt_objstore_get(st->objs, row->id, &in);
		/* the object's fault, not the run's: scrub_one() re-reads the row, so a file a
		 * sweep beside us unlinked is skipped and a live object's missing file reported */
		if (rc == LETHE_ERR_NOT_FOUND)
			rc = lt_err(LETHE_ERR_INTEGRITY, "%s", lt_err_detail());
	}
	if (rc == LETHE_OK)
		rc = lt_lth_verify_from(s->dek, oid, &in, st->cfg.threads, scrub_read, s, sha,
					&size);
	if (rc == LETHE_OK && !lt_memeq(sha, row->sha256, sizeof(sha)))
		rc = lt_err(LETHE_ERR_INTEGRITY, "ciphertext SHA-256 differs from the one recorded "
						 "at put (the file or its row was changed)");
	if (rc == LETHE_OK && size != row->size)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "plaintext size %llu differs from the recorded %llu",
			    (unsigned long long) size, (unsigned long long) row->size);
	lt_bytesrc_close(&in);
	lt_cleanse(s->dek, LT_KEY_LEN);
	return rc;
}

/* A failure that is the object's (its key, its row, its file), not the run's. */
static bool object_fault(enum lethe_err rc)
{
	return rc == LETHE_ERR_INTEGRITY || rc == LETHE_ERR_IO;
}

static void report_bad(struct scrub *s, const struct lt_db_object *row, enum lethe_err rc)
{
	struct lt_err_saved saved;
	const char *detail = lt_err_save(&saved), *what = detail;
	char prefix[LETHE_ID_LEN + 16];

	/* "object ID: object file missing" says the id the report gives already */
	snprintf(prefix, sizeof(prefix), "object %s: ", row->id);
	if (strncmp(detail, prefix, strlen(prefix)) == 0)
		what = detail + strlen(prefix);
	s->result->bad++;
	if (s->fn)
		s->fn(row->id, rc, what, s->ctx);
	lt_audit_record(s->st, &(struct lt_audit_event){.action = "scrub",
							.object = row->id,
							.group = row->group,
							.err = rc,
							.error = what});
}

static int scrub_one(const struct lt_db_object *row, void *vctx)
{
	struct scrub *s = vctx;
	struct lt_db_object *now;
	enum lethe_err rc;

	/* a row that fails its MAC or is malformed: reported, and the run goes on */
	if (row->bad != LETHE_OK) {
		(void) lt_err(row->bad, "%s", row->bad_detail);
		report_bad(s, row, row->bad == LETHE_ERR_NOMEM ? row->bad : LETHE_ERR_INTEGRITY);
		s->result->objects++;
		return 0;
	}
	rc = scrub_check(s, row);
	if (rc != LETHE_OK && object_fault(rc)) {
		/* shredded since the page was read (a sweep runs beside us): nothing to check */
		now = malloc(sizeof(*now));
		if (!now) {
			s->rc = LETHE_ERR_NOMEM;
			return 1;
		}
		if (lt_db_object_get(s->st->db, row->id, now) == LETHE_OK &&
		    now->state == LETHE_STATE_LIVE)
			report_bad(s, row, rc);
		free(now);
	} else if (rc != LETHE_OK) {
		s->rc = rc;
		return 1;
	}
	s->result->objects++;
	lt_strlcpy(s->position, row->id, sizeof(s->position));
	if (s->opts.max_bytes && s->result->bytes >= s->opts.max_bytes)
		return 1;
	if (monotonic_ns() - s->saved_ns >= SCRUB_SAVE_EVERY_NS) {
		s->rc = position_save(s);
		if (s->rc != LETHE_OK)
			return 1;
	}
	return 0;
}

/* The run's own audit record: what it covered and how it ended (the detail is kept). */
static void audit_run(struct scrub *s, enum lethe_err rc)
{
	const struct lethe_scrub_result *r = s->result;
	char detail[1536];
	size_t n;

	snprintf(detail, sizeof(detail), "%llu object(s), %llu bytes read, %llu bad",
		 (unsigned long long) r->objects, (unsigned long long) r->bytes,
		 (unsigned long long) r->bad);
	n = strlen(detail);
	if (r->resumed_after[0])
		n += (size_t) snprintf(detail + n, sizeof(detail) - n, ", resumed after %s",
				       r->resumed_after);
	if (rc != LETHE_OK)
		snprintf(detail + n, sizeof(detail) - n, "; stopped: %s", lt_err_detail());
	else if (!r->complete)
		snprintf(detail + n, sizeof(detail) - n, "; stopped at the byte limit after %s",
			 s->position);
	lt_audit_record(s->st, &(struct lt_audit_event){
				   .action = "scrub",
				   .err = rc ? rc : (r->bad ? LETHE_ERR_INTEGRITY : LETHE_OK),
				   .error = detail});
}

static enum lethe_err scrub_run(struct scrub *s)
{
	uint64_t objects = 0;
	enum lethe_err rc;

	if (s->opts.resume) {
		rc = position_load(s);
		if (rc != LETHE_OK)
			return rc;
		lt_strlcpy(s->result->resumed_after, s->position, LETHE_ID_LEN + 1);
	}
	rc = lt_db_object_live_totals(s->st->db, s->position, &objects, &s->to_check);
	if (rc != LETHE_OK)
		return rc;
	s->saved_ns = monotonic_ns();
	rc = lt_db_object_live_by_id(s->st->db, s->position, SIZE_MAX, scrub_one, s);
	if (rc == LETHE_OK)
		rc = s->rc;
	if (rc != LETHE_OK) {
		struct lt_err_saved saved;

		/* keep what was done for a resume, and the reason the run stopped */
		lt_err_save(&saved);
		(void) position_save(s);
		return lt_err_restore(&saved, rc);
	}
	s->result->complete = 1;
	if (s->opts.max_bytes && s->result->bytes >= s->opts.max_bytes) {
		uint64_t left_bytes = 0;

		/* stopped at the limit: complete all the same when nothing comes after */
		rc = lt_db_object_live_totals(s->st->db, s->position, &objects, &left_bytes);
		if (rc != LETHE_OK)
			return rc;
		s->result->complete = objects == 0;
	}
	if (s->result->complete) {
		s->position[0] = '\0';
		if (s->to_check)
			lt_progress(s->st, "scrub", s->to_check, s->to_check);
	}
	return position_save(s);
}

LETHE_API enum lethe_err lethe_store_scrub(struct lethe_store *st,
					   const struct lethe_scrub_opts *opts, lethe_scrub_fn fn,
					   void *ctx, struct lethe_scrub_result *result)
{
	struct scrub s;
	enum lethe_err rc;

	lt_err_clear();
	if (result)
		memset(result, 0, sizeof(*result));
	if (!st || !result)
		return lt_err(LETHE_ERR_INVALID, "scrub needs a store and a result");
	memset(&s, 0, sizeof(s));
	s.st = st;
	if (opts)
		s.opts = *opts;
	s.fn = fn;
	s.ctx = ctx;
	s.result = result;
	lt_pace_init(&s.pace, s.opts.rate_limit);
	s.dek = lt_secmem_alloc(LT_KEY_LEN);
	if (!s.dek)
		return LETHE_ERR_NOMEM;
	rc = scrub_run(&s);
	audit_run(&s, rc);
	lt_secmem_free(s.dek, LT_KEY_LEN);
	if (rc != LETHE_OK)
		memset(result, 0, sizeof(*result)); /* out-parameters are valid only on success */
	return rc;
}

/* metrics.c - the store's figures in the Prometheus text format, for node_exporter's textfile
 * collector (which reads every *.prom file of its directory: a half-written file would be
 * read, hence the atomic write). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/timeutil.h"
#include "lib/internal.h"
#include "store/db.h"

struct figures {
	uint64_t live, shredded, bytes, live_counted;
	uint64_t certificates, failed, refused, audit_records;
	int64_t last_sweep_us;
	int64_t kek_created_at;
	uint32_t kek_version;
};

static enum lethe_err gather(struct lethe_store *st, struct figures *f)
{
	uint8_t hash[32];
	struct lt_db_kek kek;
	enum lethe_err rc;

	memset(f, 0, sizeof(*f));
	rc = lt_db_object_count(st->db, LETHE_STATE_LIVE, &f->live);
	if (rc == LETHE_OK)
		rc = lt_db_object_count(st->db, LETHE_STATE_SHREDDED, &f->shredded);
	if (rc == LETHE_OK)
		rc = lt_db_object_live_totals(st->db, "", &f->live_counted, &f->bytes);
	if (rc == LETHE_OK)
		rc = lt_db_cert_last(st->db, &f->certificates, hash);
	if (rc == LETHE_OK)
		rc = lt_db_audit_count_outcome(st->db, "failed", &f->failed);
	if (rc == LETHE_OK)
		rc = lt_db_audit_count_outcome(st->db, "refused", &f->refused);
	if (rc == LETHE_OK)
		rc = lt_db_audit_last(st->db, &f->audit_records, hash);
	if (rc == LETHE_OK)
		rc = lt_db_audit_action_last_time(st->db, "sweep", &f->last_sweep_us);
	if (rc == LETHE_OK)
		rc = lt_db_kek_primary(st->db, &kek);
	if (rc == LETHE_OK) {
		f->kek_created_at = kek.created_at;
		f->kek_version = kek.version;
	}
	return rc;
}

/* One metric: HELP, TYPE and its sample(s). */
#define METRIC(buf, name, type, help, fmt, ...)                                                    \
	text_printf(buf, "# HELP " name " " help "\n# TYPE " name " " type "\n" fmt "\n",          \
		    __VA_ARGS__)

struct text {
	char *data;
	size_t len, cap;
	bool nomem;
};

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->nomem)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->nomem = true;
			return;
		}
		if ((size_t) n < t->cap - t->len) {
			t->len += (size_t) n;
			return;
		}
		size_t cap = t->cap * 2 + (size_t) n + 1;
		char *p = realloc(t->data, cap);

		if (p == NULL) {
			t->nomem = true;
			return;
		}
		t->data = p;
		t->cap = cap;
	}
}

static void format_figures(const struct figures *f, int64_t now, struct text *t)
{
	METRIC(t, "lethe_objects", "gauge", "Objects in the store, by state.",
	       "lethe_objects{state=\"live\"} %" PRIu64
	       "\nlethe_objects{state=\"shredded\"} %" PRIu64,
	       f->live, f->shredded);
	METRIC(t, "lethe_object_bytes", "gauge", "Plaintext bytes of the live objects.",
	       "lethe_object_bytes %" PRIu64, f->bytes);
	METRIC(t, "lethe_last_sweep_timestamp_seconds", "gauge",
	       "When the last successful sweep ended (0: never).",
	       "lethe_last_sweep_timestamp_seconds %" PRId64, f->last_sweep_us / 1000000);
	METRIC(t, "lethe_shreds_total", "counter",
	       "Objects crypto-shredded (disposal certificates issued).",
	       "lethe_shreds_total %" PRIu64, f->certificates);
	METRIC(t, "lethe_failures_total", "counter",
	       "Operations the audit log records as failed or refused.",
	       "lethe_failures_total{outcome=\"failed\"} %" PRIu64
	       "\nlethe_failures_total{outcome=\"refused\"} %" PRIu64,
	       f->failed, f->refused);
	METRIC(t, "lethe_key_age_seconds", "gauge", "Age of the primary KEK.",
	       "lethe_key_age_seconds{version=\"%" PRIu32 "\"} %" PRId64, f->kek_version,
	       now - f->kek_created_at);
	METRIC(t, "lethe_audit_records", "gauge", "Length of the audit log's MAC chain.",
	       "lethe_audit_records %" PRIu64, f->audit_records);
	METRIC(t, "lethe_metrics_timestamp_seconds", "gauge", "When these figures were read.",
	       "lethe_metrics_timestamp_seconds %" PRId64, now);
}

LETHE_API enum lethe_err lethe_metrics_write(struct lethe_store *st, const char *path, int fd)
{
	struct text t = {NULL, 0, 0, false};
	struct figures f;
	enum lethe_err rc;

	lt_err_clear();
	if (!st || (path == NULL && fd < 0))
		return lt_err(LETHE_ERR_INVALID, "metrics need a store and a file");
	rc = gather(st, &f);
	if (rc != LETHE_OK)
		return rc;
	t.cap = 2048;
	t.data = malloc(t.cap);
	if (t.data == NULL)
		return lt_err(LETHE_ERR_NOMEM, "metrics: out of memory");
	format_figures(&f, lt_now(), &t);
	if (t.nomem)
		rc = lt_err(LETHE_ERR_NOMEM, "metrics: out of memory");
	else if (path != NULL)
		rc = lt_write_file_atomic(path, t.data, t.len, 0644);
	else
		rc = lt_write_all(fd, t.data, t.len);
	free(t.data);
	return rc;
}

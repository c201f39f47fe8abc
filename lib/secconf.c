/* secconf.c - the store's security settings (syslog, retention, locks, rotation, the officer
 * KDF: those lt_config_take_security() keeps to DIR/lethe.conf) recorded in meta.db at init,
 * as a canonical text in a MAC'd meta row, so that an edit of lethe.conf is never silent: the
 * open that finds them changed appends a "config.change" record naming what changed, sends it
 * to syslog even when the change turns syslog off, and records the new settings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "lib/internal.h"

#define SECCONF_KEY "security_config"
#define SECCONF_MAX 4096

static int cmp_group(const void *a, const void *b)
{
	const struct lt_config_group *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* "key=value" items separated by "\n", groups sorted by name: equal settings, equal text. */
static enum lethe_err secconf_text(const struct lt_config *cfg, char *out, size_t max)
{
	const struct lt_config_group **g = NULL;
	size_t n = 0, i;
	int w;

	w = snprintf(out, max,
		     "[audit] syslog=%s\n[retention] default=%lld\n[retention] max=%lld\n"
		     "[retention] unknown_groups=%s\n[keys] rotation=%lld\n[keys] auto_rotate=%s\n"
		     "[keys] officer_kdf=%u,%u,%u\n",
		     cfg->syslog ? "true" : "false", (long long) cfg->default_retention,
		     (long long) cfg->max_retention, cfg->unknown_groups ? "allow" : "refuse",
		     (long long) cfg->rotation, cfg->auto_rotate ? "true" : "false",
		     (unsigned) cfg->officer_kdf_memory_kib, (unsigned) cfg->officer_kdf_time,
		     (unsigned) cfg->officer_kdf_parallel);
	if (w < 0 || (size_t) w >= max)
		return lt_err(LETHE_ERR_CONFIG, "too many security settings to record");
	n = (size_t) w;
	if (cfg->ngroups) {
		g = calloc(cfg->ngroups, sizeof(*g));
		if (!g)
			return LETHE_ERR_NOMEM;
		for (i = 0; i < cfg->ngroups; i++)
			g[i] = &cfg->groups[i];
		qsort(g, cfg->ngroups, sizeof(*g), cmp_group);
	}
	for (i = 0; i < cfg->ngroups; i++) {
		w = snprintf(out + n, max - n, "[group:%s] retention=%lld,lock=%s,max=%lld\n",
			     g[i]->name, (long long) g[i]->retention, g[i]->lock ? "true" : "false",
			     (long long) (g[i]->has_max ? g[i]->max : cfg->max_retention));
		if (w < 0 || (size_t) w >= max - n) {
			free(g);
			return lt_err(LETHE_ERR_CONFIG, "too many security settings to record");
		}
		n += (size_t) w;
	}
	free(g);
	return LETHE_OK;
}

/* The value of item @p key ("[x] name") in @p text, or NULL; *@p len its length. */
static const char *item_value(const char *text, const char *key, size_t klen, size_t *len)
{
	const char *p = text, *eol;

	while (*p) {
		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if ((size_t) (eol - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			*len = (size_t) (eol - p) - klen - 1;
			return p + klen + 1;
		}
		p = *eol ? eol + 1 : eol;
	}
	return NULL;
}

/* Append "KEY OLD -> NEW; " for each item of @p a that @p b lacks or gives otherwise. */
static void diff_into(const char *a, const char *b, bool a_is_old, char *out, size_t max)
{
	const char *p = a, *eol, *eq, *v;
	size_t n, vl = 0;

	while (*p) {
		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		eq = memchr(p, '=', (size_t) (eol - p));
		if (eq) {
			v = item_value(b, p, (size_t) (eq - p), &vl);
			n = strlen(out);
			if (a_is_old &&
			    (!v || vl != (size_t) (eol - eq - 1) || memcmp(v, eq + 1, vl) != 0))
				snprintf(out + n, max - n, "%s%.*s %.*s -> %.*s", n ? "; " : "",
					 (int) (eq - p), p, (int) (eol - eq - 1), eq + 1,
					 v ? (int) vl : 6, v ? v : "(none)");
			else if (!a_is_old && !v)
				snprintf(out + n, max - n, "%s%.*s (none) -> %.*s", n ? "; " : "",
					 (int) (eq - p), p, (int) (eol - eq - 1), eq + 1);
		}
		p = *eol ? eol + 1 : eol;
	}
}

enum lethe_err lt_secconf_record(struct lethe_store *st)
{
	char *text = calloc(1, SECCONF_MAX);
	enum lethe_err rc;

	if (!text)
		return LETHE_ERR_NOMEM;
	rc = secconf_text(&st->cfg, text, SECCONF_MAX);
	if (rc == LETHE_OK)
		rc = lt_db_meta_set(st->db, SECCONF_KEY, text, strlen(text));
	free(text);
	return rc;
}

enum lethe_err lt_secconf_compare(struct lethe_store *st, char *what, size_t max, bool *differs,
				  bool *recorded)
{
	char *now = calloc(2, SECCONF_MAX), *was = now ? now + SECCONF_MAX : NULL;
	size_t len = 0;
	enum lethe_err rc;

	*differs = *recorded = false;
	what[0] = '\0';
	if (!now)
		return LETHE_ERR_NOMEM;
	rc = secconf_text(&st->cfg, now, SECCONF_MAX);
	if (rc == LETHE_OK)
		rc = lt_db_meta_get(st->db, SECCONF_KEY, was, SECCONF_MAX - 1, &len);
	if (rc == LETHE_ERR_NOT_FOUND) {
		rc = LETHE_OK;
	} else if (rc == LETHE_OK) {
		was[len] = '\0';
		*recorded = true;
		if (strcmp(was, now) != 0) {
			*differs = true;
			diff_into(was, now, true, what, max);
			diff_into(now, was, false, what, max);
		}
	}
	free(now);
	return rc;
}

enum lethe_err lt_secconf_open(struct lethe_store *st)
{
	char what[400], detail[480];
	bool differs = false, recorded = false, keep;
	enum lethe_err rc;

	rc = lt_secconf_compare(st, what, sizeof(what), &differs, &recorded);
	if (rc != LETHE_OK || (recorded && !differs))
		return rc;
	rc = lt_tx_begin(st);
	if (rc == LETHE_OK) {
		rc = lt_secconf_compare(st, what, sizeof(what), &differs, &recorded);
		if (rc == LETHE_OK && (!recorded || differs)) {
			snprintf(detail, sizeof(detail), "%s%s",
				 recorded ? "security settings of lethe.conf changed: "
					  : "security settings recorded (none were): ",
				 recorded ? what : "see doctor");
			/* the record goes to syslog whatever the new settings say: the line
			 * that turns syslog off is the one that must still go out */
			keep = st->cfg.syslog;
			st->cfg.syslog = true;
			rc = lt_audit_append(
			    st, &(struct lt_audit_event){.action = recorded ? "config.change"
									    : "config.record",
							 .error = detail});
			st->cfg.syslog = keep;
			if (rc == LETHE_OK)
				rc = lt_secconf_record(st);
		}
		if (rc == LETHE_OK)
			rc = lt_tx_commit(st);
		else
			lt_tx_rollback(st);
	}
	return rc;
}

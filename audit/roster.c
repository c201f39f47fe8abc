/* roster.c - the officer roster as the audit log tells it.
 *
 * officers.luks holds the roster, signed by the officer authority key, with a serial each
 * change raises; but a signed roster stays valid for ever, and whoever can write the file can
 * put an older one back (T1, docs/THREATS.md), bringing back a removed officer or a name on
 * a keyslot since given to someone else. The log cannot be rolled back (MAC chain, anchor),
 * and each change of the roster is a signed record of it: init (a store made with its
 * authority) and officer.migrate begin the roster with their officer on keyslot 0;
 * officer.add and officer.remove state the officer, and since this release the keyslot and
 * the serial of the roster they wrote ("NAME keyslot=K roster=S"; before, "NAME" alone).
 * Replaying them gives who was an officer at each point of the log.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"

void lt_audit_officer_detail(char *buf, size_t len, const char *name, int keyslot, uint32_t serial)
{
	snprintf(buf, len, "%s keyslot=%d roster=%" PRIu32, name, keyslot, serial);
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

bool lt_audit_officer_detail_parse(const char *text, char name[LETHE_OFFICER_MAX + 1], int *keyslot,
				   uint32_t *serial)
{
	size_t n = 0;
	unsigned long k, s;
	char *end;

	*keyslot = -1;
	*serial = 0;
	while (name_char(text[n]) && n < LETHE_OFFICER_MAX)
		n++;
	if (n == 0 || (text[n] != '\0' && text[n] != ' '))
		return false;
	memcpy(name, text, n);
	name[n] = '\0';
	if (text[n] == '\0') /* a record of an earlier release: the name alone */
		return true;
	text += n;
	if (strncmp(text, " keyslot=", 9) != 0)
		return false;
	k = strtoul(text + 9, &end, 10);
	if (end == text + 9 || strncmp(end, " roster=", 8) != 0 || k > 1024)
		return false;
	text = end + 8;
	s = strtoul(text, &end, 10);
	if (end == text || *end != '\0' || s == 0 || s > UINT32_MAX)
		return false;
	*keyslot = (int) k;
	*serial = (uint32_t) s;
	return true;
}

const struct lt_audit_officer *lt_audit_roster_find(const struct lt_audit_roster *r,
						    const char *name)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->officer[i].name, name) == 0)
			return &r->officer[i];
	return NULL;
}

bool lt_audit_roster_removed(const struct lt_audit_roster *r, const char *name)
{
	for (size_t i = 0; i < r->ngone; i++)
		if (strcmp(r->gone[i], name) == 0)
			return true;
	return false;
}

/* Note @p name as removed by the log (@p gone) or as added again. */
static void gone_set(struct lt_audit_roster *r, const char *name, bool gone)
{
	for (size_t i = 0; i < r->ngone; i++)
		if (strcmp(r->gone[i], name) == 0) {
			memmove(r->gone[i], r->gone[i + 1],
				(r->ngone - i - 1) * sizeof(r->gone[0]));
			r->ngone--;
			break;
		}
	if (!gone)
		return;
	if (r->ngone == LT_AUDIT_ROSTER_MAX) { /* the oldest goes */
		memmove(r->gone[0], r->gone[1], (r->ngone - 1) * sizeof(r->gone[0]));
		r->ngone--;
	}
	snprintf(r->gone[r->ngone++], sizeof(r->gone[0]), "%s", name);
}

static void drop(struct lt_audit_roster *r, size_t i)
{
	r->officer[i] = r->officer[r->count - 1];
	r->count--;
}

bool lt_audit_roster_begins(const struct lt_db_audit *rec)
{
	if (strcmp(rec->outcome, "ok") != 0 || !lt_audit_claims_officer(rec))
		return false;
	if (strcmp(rec->action, "officer.migrate") == 0)
		return true;
	return rec->seq == 1 && strcmp(rec->action, "init") == 0 &&
	       strncmp(rec->error, LT_AUDIT_INIT_AUTHORITY, strlen(LT_AUDIT_INIT_AUTHORITY)) == 0;
}

bool lt_audit_roster_apply(struct lt_audit_roster *r, const struct lt_db_audit *rec, char *why,
			   size_t why_len)
{
	const struct lt_audit_officer *o;
	char name[LETHE_OFFICER_MAX + 1];
	uint32_t serial;
	int keyslot;
	bool add, unseen;

	if (lt_audit_roster_begins(rec)) {
		memset(r, 0, sizeof(*r));
		r->known = true;
		r->serial = 1;
		r->seq = rec->seq;
		r->count = 1;
		snprintf(r->officer[0].name, sizeof(r->officer[0].name), "%s", rec->keyslot);
		r->officer[0].keyslot = 0;
		return true;
	}
	/* a passphrase change moves its officer to another keyslot and re-signs the roster: its
	 * record states both, as an add does */
	if (strcmp(rec->action, "officer.passwd") == 0 && strcmp(rec->outcome, "ok") == 0 &&
	    r->known) {
		if (!lt_audit_officer_detail_parse(rec->error, name, &keyslot, &serial))
			return true;
		for (size_t i = 0; i < r->count; i++)
			if (strcmp(r->officer[i].name, name) == 0)
				r->officer[i].keyslot = keyslot;
		r->serial = serial ? serial : r->serial + 1;
		r->seq = rec->seq;
		return true;
	}
	add = strcmp(rec->action, "officer.add") == 0;
	if ((!add && strcmp(rec->action, "officer.remove") != 0) ||
	    strcmp(rec->outcome, "ok") != 0 || !r->known)
		return true;
	if (!lt_audit_officer_detail_parse(rec->error, name, &keyslot, &serial)) {
		snprintf(why, why_len, "%s record names no officer (\"%.64s\")", rec->action,
			 rec->error);
		return false;
	}
	/* a change of the roster the log did not see: a crash after the roster was written and
	 * before its record (the serial skips), or a record of an earlier release (none stated) */
	unseen = serial == 0 || serial > r->serial + 1;
	r->seq = rec->seq;
	if (serial)
		r->serial = serial;
	o = lt_audit_roster_find(r, name);
	if (!add) {
		gone_set(r, name, true);
		if (o && keyslot >= 0 && o->keyslot >= 0 && o->keyslot != keyslot && !unseen) {
			snprintf(why, why_len,
				 "removes officer \"%s\" from keyslot %d, but the log gave them "
				 "keyslot %d",
				 name, keyslot, o->keyslot);
			return false;
		}
		if (o)
			drop(r, (size_t) (o - r->officer));
		else if (!unseen) {
			snprintf(why, why_len, "removes officer \"%s\", who is not on the roster",
				 name);
			return false;
		}
		return true;
	}
	if (o && !unseen) {
		snprintf(why, why_len, "adds officer \"%s\", who is on the roster already", name);
		return false;
	}
	if (o)
		drop(r, (size_t) (o - r->officer));
	for (size_t i = 0; keyslot >= 0 && i < r->count; i++) {
		if (r->officer[i].keyslot != keyslot)
			continue;
		if (!unseen) {
			snprintf(
			    why, why_len,
			    "gives keyslot %d to \"%s\", but the log gave it to \"%s\", who was "
			    "not removed",
			    keyslot, name, r->officer[i].name);
			return false;
		}
		drop(r, i--);
	}
	if (r->count >= LT_AUDIT_ROSTER_MAX) {
		snprintf(why, why_len, "adds officer \"%s\" to a roster that is full", name);
		return false;
	}
	snprintf(r->officer[r->count].name, sizeof(r->officer[0].name), "%s", name);
	r->officer[r->count].keyslot = keyslot;
	r->count++;
	gone_set(r, name, false);
	return true;
}

enum lethe_err lt_audit_roster_newest(struct lt_db *db, const uint8_t key[LT_KEY_LEN],
				      struct lt_db_audit *rec, bool *found)
{
	static const char *const actions[] = {"officer.add", "officer.remove", "officer.passwd",
					      "officer.migrate"};
	struct lt_db_audit *cur = calloc(1, sizeof(*cur));
	enum lethe_err rc = LETHE_OK;
	bool have;

	*found = false;
	if (!cur)
		return LETHE_ERR_NOMEM;
	for (size_t i = 0; rc == LETHE_OK && i < sizeof(actions) / sizeof(actions[0]); i++) {
		rc = lt_audit_newest(db, key, NULL, "", actions[i], cur, &have);
		if (rc == LETHE_OK && have && (!*found || cur->seq > rec->seq)) {
			*rec = *cur;
			*found = true;
		}
	}
	free(cur);
	return rc;
}

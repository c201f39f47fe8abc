/* test_audit_record.c - unit tests of audit/record.c: the record MAC is the documented layout
 * (known answers computed from it with Python's hmac, and rebuilt here with OpenSSL), every
 * field and the previous MAC count; outcome words and security levels; a record from an event;
 * the process as actor; the syslog line cannot be forged by its values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pwd.h>

#include "audit_fixture.h"

static const char object_id[] = "3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

static void key_fill(uint8_t key[LT_KEY_LEN])
{
	size_t i;

	for (i = 0; i < LT_KEY_LEN; i++)
		key[i] = (uint8_t) (0xa0 + i);
}

static void sample(struct lt_db_audit *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->seq = 7;
	rec->time_us = 1700000000123456;
	rec->uid = 1001;
	strcpy(rec->user, "alice");
	strcpy(rec->keyslot, "service");
	rec->pid = 4242;
	strcpy(rec->host, "db1.example");
	strcpy(rec->action, "put");
	strcpy(rec->object, object_id);
	strcpy(rec->group, "docs");
	strcpy(rec->outcome, "ok");
}

static void mac_hex(const struct lt_db_audit *rec, const uint8_t prev[32], char out[65])
{
	uint8_t key[LT_KEY_LEN], mac[32];

	key_fill(key);
	assert_int_equal(lt_audit_mac(key, rec, prev, mac), LETHE_OK);
	lt_hex(mac, 32, out);
}

/* Known answers: hmac.new(key, layout, sha256) in Python, from the layout in record.c. */
static void test_mac_known_answers(void **state)
{
	struct lt_db_audit rec;
	uint8_t prev[32];
	char hex[65];

	(void) state;
	sample(&rec);
	memset(prev, 0x11, sizeof(prev));
	mac_hex(&rec, prev, hex);
	assert_string_equal(hex,
			    "08c43cc53a4daf857360613846e946de11f30828e031b54ab3d47f53789c8c96");

	/* the first record chains to zeros; negative time and pid go as two's complement */
	memset(&rec, 0, sizeof(rec));
	rec.seq = 1;
	rec.time_us = -5;
	strcpy(rec.user, "uid0");
	rec.pid = -1;
	strcpy(rec.host, "h");
	strcpy(rec.action, "unlock");
	strcpy(rec.outcome, "failed");
	strcpy(rec.error, "wrong passphrase");
	memset(prev, 0, sizeof(prev));
	mac_hex(&rec, prev, hex);
	assert_string_equal(hex,
			    "44062b48bb84c18c656584325830f765cb37e3827d078514ea0c4f8277a584c3");
}

static size_t put_be(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t) (v >> (8 * (n - 1 - i)));
	return n;
}

static size_t put_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	put_be(p, n, 4);
	memcpy(p + 4, s, n);
	return 4 + n;
}

/* The same layout rebuilt with OpenSSL's HMAC, on a record with every string field set. */
static void test_mac_layout(void **state)
{
	struct lt_db_audit rec;
	uint8_t key[LT_KEY_LEN], prev[32], msg[2048], expect[32], got[32];
	unsigned int expect_len = 0;
	size_t n = 0;

	(void) state;
	key_fill(key);
	sample(&rec);
	strcpy(rec.error, "some \"detail\"\n");
	memset(prev, 0x5a, sizeof(prev));
	memcpy(msg, "lethe-audit-v1", 14);
	n = 14;
	n += put_be(msg + n, rec.seq, 8);
	n += put_be(msg + n, (uint64_t) rec.time_us, 8);
	n += put_be(msg + n, rec.uid, 4);
	n += put_str(msg + n, rec.user);
	n += put_str(msg + n, rec.keyslot);
	n += put_be(msg + n, (uint32_t) rec.pid, 4);
	n += put_str(msg + n, rec.host);
	n += put_str(msg + n, rec.action);
	n += put_str(msg + n, rec.object);
	n += put_str(msg + n, rec.group);
	n += put_str(msg + n, rec.outcome);
	n += put_str(msg + n, rec.error);
	memcpy(msg + n, prev, 32);
	n += 32;
	assert_non_null(HMAC(EVP_sha256(), key, sizeof(key), msg, n, expect, &expect_len));
	assert_int_equal(expect_len, 32);
	assert_int_equal(lt_audit_mac(key, &rec, prev, got), LETHE_OK);
	assert_memory_equal(got, expect, 32);

	/* an unauthenticated record: the same layout under its own label */
	memmove(msg + 21, msg + 14, n - 14);
	memcpy(msg, "lethe-audit-unauth-v1", 21);
	n += 7;
	assert_non_null(HMAC(EVP_sha256(), key, sizeof(key), msg, n, expect, &expect_len));
	rec.unauthenticated = true;
	assert_int_equal(lt_audit_mac(key, &rec, prev, got), LETHE_OK);
	assert_memory_equal(got, expect, 32);
}

/* Every field, the previous MAC and the key change the MAC; the stored MAC itself does not. */
static void test_mac_covers_everything(void **state)
{
	struct lt_db_audit base, rec;
	uint8_t key[LT_KEY_LEN], prev[32], mac0[32], mac[32];
	int field;

	(void) state;
	key_fill(key);
	memset(prev, 0x11, sizeof(prev));
	sample(&base);
	assert_int_equal(lt_audit_mac(key, &base, prev, mac0), LETHE_OK);
	for (field = 0; field < 14; field++) {
		rec = base;
		switch (field) {
		case 0:
			rec.seq++;
			break;
		case 1:
			rec.time_us++;
			break;
		case 2:
			rec.uid++;
			break;
		case 3:
			strcpy(rec.user, "alicf");
			break;
		case 4:
			strcpy(rec.keyslot, "bob");
			break;
		case 5:
			rec.pid++;
			break;
		case 6:
			strcpy(rec.host, "db2.example");
			break;
		case 7:
			strcpy(rec.action, "get");
			break;
		case 8:
			rec.object[0] = '4';
			break;
		case 9:
			strcpy(rec.group, "");
			break;
		case 10:
			strcpy(rec.outcome, "failed");
			break;
		case 11:
			strcpy(rec.error, "x");
			break;
		case 12:
			rec.unauthenticated = true;
			break;
		/* moving a byte from one field to the next: lengths keep the fields apart */
		default:
			strcpy(rec.user, "alic");
			strcpy(rec.keyslot, "eservice");
			break;
		}
		assert_int_equal(lt_audit_mac(key, &rec, prev, mac), LETHE_OK);
		if (memcmp(mac, mac0, 32) == 0)
			fail_msg("field %d is not covered by the MAC", field);
	}
	rec = base;
	memset(rec.mac, 0xff, sizeof(rec.mac));
	assert_int_equal(lt_audit_mac(key, &rec, prev, mac), LETHE_OK);
	assert_memory_equal(mac, mac0, 32);
	prev[31] ^= 1;
	assert_int_equal(lt_audit_mac(key, &base, prev, mac), LETHE_OK);
	assert_memory_not_equal(mac, mac0, 32);
	prev[31] ^= 1;
	key[0] ^= 1;
	assert_int_equal(lt_audit_mac(key, &base, prev, mac), LETHE_OK);
	assert_memory_not_equal(mac, mac0, 32);
}

static void test_outcome_and_security(void **state)
{
	static const enum lethe_err refused[] = {
	    LETHE_ERR_HELD,       LETHE_ERR_LOCKED,       LETHE_ERR_NOT_EXPIRED,
	    LETHE_ERR_KEK_IN_USE, LETHE_ERR_LAST_OFFICER, LETHE_ERR_SHORTENS,
	    LETHE_ERR_PERMISSION, LETHE_ERR_NOT_OFFICER,  LETHE_ERR_CLOCK};
	static const enum lethe_err security_failed[] = {LETHE_ERR_INTEGRITY, LETHE_ERR_UNLOCK,
							 LETHE_ERR_KEYSTORE};
	static const enum lethe_err plain_failed[] = {LETHE_ERR_NOT_FOUND, LETHE_ERR_IO,
						      LETHE_ERR_INVALID, LETHE_ERR_DATABASE,
						      LETHE_ERR_NOMEM};
	size_t i;

	(void) state;
	assert_string_equal(lt_audit_outcome(LETHE_OK), "ok");
	assert_false(lt_audit_is_security(LETHE_OK));
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_string_equal(lt_audit_outcome(refused[i]), "refused");
		assert_true(lt_audit_is_security(refused[i]));
	}
	for (i = 0; i < sizeof(security_failed) / sizeof(security_failed[0]); i++) {
		assert_string_equal(lt_audit_outcome(security_failed[i]), "failed");
		assert_true(lt_audit_is_security(security_failed[i]));
	}
	for (i = 0; i < sizeof(plain_failed) / sizeof(plain_failed[0]); i++) {
		assert_string_equal(lt_audit_outcome(plain_failed[i]), "failed");
		assert_false(lt_audit_is_security(plain_failed[i]));
	}
}

static void test_record_fill(void **state)
{
	struct lt_audit_actor actor = {.uid = 7, .pid = 99};
	struct lt_audit_event ev = {.action = "rm", .err = LETHE_ERR_HELD};
	struct lt_db_audit rec;
	char long_error[2000];

	(void) state;
	strcpy(actor.user, "bob");
	strcpy(actor.keyslot, "alice");
	strcpy(actor.host, "h1");
	/* NULL strings are stored empty; seq and mac are left for the chain */
	memset(&rec, 0x55, sizeof(rec));
	lt_audit_record_fill(&rec, &actor, &ev, 123);
	assert_int_equal(rec.seq, 0);
	assert_int_equal(rec.time_us, 123);
	assert_int_equal(rec.uid, 7);
	assert_int_equal(rec.pid, 99);
	assert_string_equal(rec.user, "bob");
	assert_string_equal(rec.keyslot, "alice");
	assert_string_equal(rec.host, "h1");
	assert_string_equal(rec.action, "rm");
	assert_string_equal(rec.object, "");
	assert_string_equal(rec.group, "");
	assert_string_equal(rec.outcome, "refused");
	assert_string_equal(rec.error, "");
	assert_memory_equal(rec.mac, (uint8_t[32]){0}, 32);

	/* a long error is cut to what the record holds, still terminated */
	memset(long_error, 'e', sizeof(long_error) - 1);
	long_error[sizeof(long_error) - 1] = '\0';
	ev.object = object_id;
	ev.group = "docs";
	ev.error = long_error;
	lt_audit_record_fill(&rec, &actor, &ev, 0);
	assert_string_equal(rec.object, object_id);
	assert_string_equal(rec.group, "docs");
	assert_int_equal(strlen(rec.error), sizeof(rec.error) - 1);
}

/* The actor is the uid's user, whatever $USER says; pid and host are the process's own. */
static void test_actor_self(void **state)
{
	struct lt_audit_actor actor;
	struct passwd *pw = getpwuid(getuid());
	char host[256];
	const char *p;

	(void) state;
	assert_int_equal(setenv("USER", "mallory action=key.retire", 1), 0);
	memset(&actor, 0x7f, sizeof(actor));
	lt_audit_actor_self(&actor);
	assert_int_equal(actor.uid, getuid());
	assert_int_equal(actor.pid, getpid());
	assert_string_equal(actor.keyslot, "");
	if (pw)
		assert_string_equal(actor.user, pw->pw_name);
	else
		assert_int_equal(strncmp(actor.user, "uid", 3), 0);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	assert_int_equal(strlen(actor.host), strlen(host));
	for (p = actor.user; *p; p++)
		assert_true(*p > 0x20 && *p < 0x7f);
	for (p = actor.host; *p; p++)
		assert_true(*p > 0x20 && *p < 0x7f);
}

/* Values chosen outside lethe (user, host, group, error) cannot add or pose as fields. */
static void test_format_line(void **state)
{
	struct lt_db_audit rec;
	char line[LT_AUDIT_LINE_MAX];

	(void) state;
	sample(&rec);
	rec.seq = 12;
	lt_audit_format_line(&rec, line, sizeof(line));
	assert_non_null(strstr(line, "seq=12 mac="));
	/* the chain MAC in hex, so a SIEM can see a record rewritten later */
	assert_non_null(strstr(line, " time="));
	assert_int_equal(strstr(line, " time=") - strstr(line, "mac=") - 4, 64);
	assert_null(strstr(line, "unauthenticated"));
	assert_non_null(strstr(line, " action=put outcome=ok object=3f1c2a4e-5b6d-4e7f-8a9b-"
				     "0c1d2e3f4a5b group=docs uid=1001 user=alice keyslot=service "
				     "pid=4242 host=db1.example error=\"\""));

	strcpy(rec.user, "x outcome=ok");
	strcpy(rec.error, "bad\" action=key.retire\n");
	rec.object[0] = '\0';
	rec.group[0] = '\0';
	rec.keyslot[0] = '\0';
	lt_audit_format_line(&rec, line, sizeof(line));
	assert_non_null(strstr(line, " object=- group=- "));
	assert_non_null(strstr(line, " user=\"x outcome=ok\" keyslot=- "));
	assert_non_null(strstr(line, " error=\"bad\\\" action=key.retire\\n\""));
	assert_null(strchr(line, '\n'));

	/* a record not in the chain yet has no MAC; a folded one says it is unauthenticated */
	rec.seq = 0;
	lt_audit_format_line(&rec, line, sizeof(line));
	assert_non_null(strstr(line, "seq=0 mac=- time="));
	rec.seq = 13;
	rec.unauthenticated = true;
	lt_audit_format_line(&rec, line, sizeof(line));
	assert_non_null(strstr(line, " unauthenticated=true"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mac_known_answers),
	    cmocka_unit_test(test_mac_layout),
	    cmocka_unit_test(test_mac_covers_everything),
	    cmocka_unit_test(test_outcome_and_security),
	    cmocka_unit_test(test_record_fill),
	    cmocka_unit_test(test_actor_self),
	    cmocka_unit_test(test_format_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

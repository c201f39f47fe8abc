/* test_audit_checkpoint.c - unit tests of audit/checkpoint.c: a checkpoint states the newest
 * record's seq and MAC in compact JSON with fixed field order, its signature verifies under the
 * evidence public key, its row is appended, and the .json/.sig files written outside hold the
 * exact signed bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "audit_fixture.h"

static const char store_id[] = "0b3c6c7e-4f1a-4e1b-9c2d-3e4f5a6b7c8d";

struct rows {
	struct lt_db_checkpoint cp[4];
	uint8_t json[4][512];
	size_t n;
};

static int row_one(const struct lt_db_checkpoint *cp, void *ctx)
{
	struct rows *r = ctx;

	assert_true(r->n < 4 && cp->json_len < sizeof(r->json[0]));
	r->cp[r->n] = *cp;
	memcpy(r->json[r->n], cp->json, cp->json_len);
	r->cp[r->n].json = r->json[r->n];
	r->n++;
	return 0;
}

static void read_file(const char *path, void *buf, size_t max, size_t *len, mode_t *mode)
{
	struct stat sb;
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	assert_int_equal(fstat(fileno(fp), &sb), 0);
	*mode = sb.st_mode & 07777;
	*len = fread(buf, 1, max, fp);
	fclose(fp);
}

static void test_add(void **state)
{
	struct audit_fx *f = *state;
	uint8_t seed[LT_ED25519_PRIV_LEN], pub[LT_ED25519_PUB_LEN], last_mac[32];
	struct lt_audit_checkpoint cp;
	char expect[256], mac_hex[65];
	struct rows r;
	uint64_t last;
	int i;

	assert_int_equal(lt_ed25519_keygen(seed, pub), LETHE_OK);
	for (i = 0; i < 3; i++)
		audit_fx_append(f, &(struct lt_audit_event){.action = "put"});
	assert_int_equal(lt_db_audit_last(f->db, &last, last_mac), LETHE_OK);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_audit_checkpoint_add(f->db, store_id, seed, &cp), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);

	assert_int_equal(cp.audit_seq, 3);
	assert_int_equal(cp.json_len, strlen(cp.json));
	lt_hex(last_mac, 32, mac_hex);
	snprintf(expect, sizeof(expect),
		 "{\"type\":\"lethe-audit-checkpoint\",\"version\":1,\"store_id\":\"%s\","
		 "\"audit_seq\":3,\"audit_mac\":\"%s\",\"time\":\"",
		 store_id, mac_hex);
	assert_int_equal(strncmp(cp.json, expect, strlen(expect)), 0);
	assert_string_equal(cp.json + cp.json_len - 3, "Z\"}");
	assert_int_equal(lt_ed25519_verify(pub, cp.json, cp.json_len, cp.sig), LETHE_OK);

	/* the row holds the same bytes, signature and record */
	memset(&r, 0, sizeof(r));
	assert_int_equal(lt_db_checkpoint_list(f->db, row_one, &r), LETHE_OK);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.cp[0].seq, 1);
	assert_int_equal(r.cp[0].audit_seq, 3);
	assert_memory_equal(r.cp[0].audit_mac, last_mac, 32);
	assert_int_equal(r.cp[0].json_len, cp.json_len);
	assert_memory_equal(r.cp[0].json, cp.json, cp.json_len);
	assert_memory_equal(r.cp[0].sig, cp.sig, 64);
	lt_audit_checkpoint_free(&cp);
	assert_null(cp.json);

	/* a second one is numbered after it */
	audit_fx_append(f, &(struct lt_audit_event){.action = "get"});
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_audit_checkpoint_add(f->db, store_id, seed, &cp), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(cp.audit_seq, 4);
	lt_audit_checkpoint_free(&cp);
	memset(&r, 0, sizeof(r));
	assert_int_equal(lt_db_checkpoint_list(f->db, row_one, &r), LETHE_OK);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.cp[1].seq, 2);
}

/* A failing insert is an error, and the checkpoint can still be freed. */
static void test_add_fails(void **state)
{
	struct audit_fx *f = *state;
	uint8_t seed[LT_ED25519_PRIV_LEN], pub[LT_ED25519_PUB_LEN];
	struct lt_audit_checkpoint cp;

	assert_int_equal(lt_ed25519_keygen(seed, pub), LETHE_OK);
	audit_fx_append(f, &(struct lt_audit_event){.action = "put"});
	audit_fx_sql(f, "CREATE TRIGGER refuse BEFORE INSERT ON checkpoints "
			"BEGIN SELECT RAISE(ABORT, 'no'); END;");
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_not_equal(lt_audit_checkpoint_add(f->db, store_id, seed, &cp), LETHE_OK);
	lt_db_rollback(f->db);
	lt_audit_checkpoint_free(&cp);
}

static void test_write(void **state)
{
	struct audit_fx *f = *state;
	uint8_t seed[LT_ED25519_PRIV_LEN], pub[LT_ED25519_PUB_LEN], buf[1024];
	struct lt_audit_checkpoint cp;
	char dir[200], path[300];
	size_t len;
	mode_t mode;

	assert_int_equal(lt_ed25519_keygen(seed, pub), LETHE_OK);
	audit_fx_append(f, &(struct lt_audit_event){.action = "put"});
	audit_fx_append(f, &(struct lt_audit_event){.action = "audit.checkpoint"});
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_audit_checkpoint_add(f->db, store_id, seed, &cp), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	/* the directory is created, parents too */
	snprintf(dir, sizeof(dir), "%s/anchor/daily", f->dir);
	assert_int_equal(lt_audit_checkpoint_write(dir, &cp), LETHE_OK);

	snprintf(path, sizeof(path), "%s/checkpoint-2.json", dir);
	read_file(path, buf, sizeof(buf), &len, &mode);
	assert_int_equal(len, cp.json_len);
	assert_memory_equal(buf, cp.json, len);
	assert_int_equal(mode, 0644);
	snprintf(path, sizeof(path), "%s/checkpoint-2.sig", dir);
	read_file(path, buf, sizeof(buf), &len, &mode);
	assert_int_equal(len, 64);
	assert_memory_equal(buf, cp.sig, 64);
	assert_int_equal(mode, 0644);
	/* what an auditor checks with openssl pkeyutl -verify: the file's bytes */
	snprintf(path, sizeof(path), "%s/checkpoint-2.json", dir);
	read_file(path, buf, sizeof(buf), &len, &mode);
	assert_int_equal(lt_ed25519_verify(pub, buf, len, cp.sig), LETHE_OK);

	/* a path that cannot be a directory */
	snprintf(path, sizeof(path), "%s/meta.db/x", f->dir);
	assert_int_not_equal(lt_audit_checkpoint_write(path, &cp), LETHE_OK);
	lt_audit_checkpoint_free(&cp);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, audit_fx_setup, audit_fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_add),
	    T(test_add_fails),
	    T(test_write),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

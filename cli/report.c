/*
 * report.c - how a command reports its outcome: one JSON value, a finished listing, the
 * problems found by a verification. These print what output.c builds and report failures
 * through util.c; neither of those calls back into this file.
 */
#include <inttypes.h>

#include "cli.h"

/* ---- JSON ------------------------------------------------------------------------------- */

int cli_json_nomem(const struct cli *cli)
{
	return cli_error(cli, NULL, EXIT_ERROR, "out of memory building the JSON output");
}

int cli_json_print(const struct cli *cli, json_t *value)
{
	if (value == NULL)
		return cli_json_nomem(cli);
	json_dumpf(value, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(value);
	return EXIT_OK;
}

int cli_json_reply(const struct cli *cli, json_t *object, int bad)
{
	if (bad) {
		json_decref(object);
		object = NULL;
	}
	return cli_json_print(cli, object);
}

/* ---- listings --------------------------------------------------------------------------- */

int cli_list_start(struct cli *cli, int argc, char **argv, struct cli_list *list, size_t ncols,
		   const char *const *headers, const char *align)
{
	int rc;

	if ((rc = cli_plain_command(cli, argc, argv, 0, 0, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	if (cli->json)
		list->array = json_array();
	else
		list->table = cli_table_new(ncols, headers, align);
	if (list->array == NULL && list->table == NULL)
		return cli_fail(cli, NULL, LETHE_ERR_NOMEM);
	return CLI_CONTINUE;
}

void cli_list_add(struct cli_list *list, json_t *object, int bad, const char *const *cells)
{
	if (list->array != NULL) {
		if (bad || json_array_append_new(list->array, object) != 0) {
			if (bad)
				json_decref(object);
			list->nomem = 1;
		}
	} else if (cli_table_add(list->table, cells) != 0) {
		list->nomem = 1;
	}
}

int cli_list_finish(const struct cli *cli, enum lethe_err err, struct cli_list *list)
{
	int rc = EXIT_OK;

	if (err != LETHE_OK)
		rc = cli_fail(cli, NULL, err);
	else if (list->nomem)
		rc = cli_fail(cli, NULL, LETHE_ERR_NOMEM);
	else if (list->array != NULL)
		rc = cli_json_print(cli, json_incref(list->array));
	else
		cli_table_print(list->table, stdout);
	json_decref(list->array);
	cli_table_free(list->table);
	list->array = NULL;
	list->table = NULL;
	return rc;
}

/* ---- verification reports --------------------------------------------------------------- */

void cli_problem_cb(const char *where, const char *what, void *ctx)
{
	struct cli_problems *p = ctx;

	p->count++;
	/* Each problem is an error line on stderr, naming the certificate or record at fault. */
	cli_error(p->cli, where, EXIT_INTEGRITY, "%s", what != NULL ? what : "");
	if (p->array != NULL) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set_text(o, "where", where != NULL ? where : "");
		bad |= cli_json_set_text(o, "what", what != NULL ? what : "");
		if (bad || json_array_append_new(p->array, o) != 0)
			p->nomem = 1;
	}
}

/* What audit verify checked officer actions against, and which records predate it. */
static void cli_officer_note(const struct cli_problems *p, uint64_t count)
{
	if (p->officer_fingerprint == NULL)
		return;
	if (*p->officer_fingerprint == '\0') {
		printf("officer authority: none pinned yet (a store from before officers.luks): "
		       "officer actions are not signed\n");
		return;
	}
	printf("officer authority fingerprint: %s\n", p->officer_fingerprint);
	if (p->officer_from > 1 && count > 0)
		printf("records 1-%" PRIu64
		       " predate the officer authority (made at record %" PRIu64
		       "): exempt from officer signatures\n",
		       p->officer_from - 1 < count ? p->officer_from - 1 : count, p->officer_from);
}

int cli_verify_report(struct cli *cli, enum lethe_err err, struct cli_problems *p,
		      const char *singular, const char *plural, uint64_t count, const char *object)
{
	int rc;

	/* Problems were already reported one per line; any other failure gets its own line. */
	if (err != LETHE_OK && !(err == LETHE_ERR_INTEGRITY && p->count > 0))
		rc = cli_fail(cli, object, err);
	else
		rc = cli_exit_code(err);
	if (cli->json && (err == LETHE_OK || err == LETHE_ERR_INTEGRITY)) {
		json_t *o = p->nomem ? NULL : json_object();
		int bad = 0;
		bad |= cli_json_set(o, "ok", json_boolean(err == LETHE_OK));
		bad |= cli_json_set(o, plural, json_integer((json_int_t) count));
		bad |= cli_json_set(o, "problems", json_incref(p->array));
		if (p->fingerprint != NULL)
			bad |= cli_json_set(o, "fingerprint", json_string(p->fingerprint));
		if (p->officer_fingerprint != NULL) {
			bad |= cli_json_set(o, "officer_authority",
					    *p->officer_fingerprint
						? json_string(p->officer_fingerprint)
						: json_null());
			bad |= cli_json_set(o, "officer_signed_from",
					    json_integer((json_int_t) p->officer_from));
		}
		int print_rc = cli_json_reply(cli, o, bad);
		if (rc == EXIT_OK)
			rc = print_rc;
	} else if (err == LETHE_OK) {
		if (p->fingerprint != NULL)
			printf("evidence key fingerprint: %s\n", p->fingerprint);
		cli_officer_note(p, count);
		printf("%" PRIu64 " %s verified, no problems found\n", count,
		       count == 1 ? singular : plural);
	}
	json_decref(p->array);
	p->array = NULL;
	return rc;
}

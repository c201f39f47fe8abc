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

/* ---- listings --------------------------------------------------------------------------- */

int cli_list_finish(const struct cli *cli, enum lethe_err err, int nomem, json_t *array,
		    struct cli_table *table)
{
	int rc = EXIT_OK;

	if (err != LETHE_OK)
		rc = cli_fail(cli, NULL, err);
	else if (nomem)
		rc = cli_fail(cli, NULL, LETHE_ERR_NOMEM);
	else if (array != NULL)
		rc = cli_json_print(cli, json_incref(array));
	else
		cli_table_print(table, stdout);
	json_decref(array);
	cli_table_free(table);
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
		bad |= cli_json_set(o, "where", cli_json_str(where != NULL ? where : ""));
		bad |= cli_json_set(o, "what", cli_json_str(what != NULL ? what : ""));
		if (bad || json_array_append_new(p->array, o) != 0)
			p->nomem = 1;
	}
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
		if (bad) {
			json_decref(o);
			o = NULL;
		}
		int print_rc = cli_json_print(cli, o);
		if (rc == EXIT_OK)
			rc = print_rc;
	} else if (err == LETHE_OK) {
		printf("%" PRIu64 " %s verified, no problems found\n", count,
		       count == 1 ? singular : plural);
	}
	json_decref(p->array);
	p->array = NULL;
	return rc;
}

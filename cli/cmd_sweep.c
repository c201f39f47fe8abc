/*
 * cmd_sweep.c - `lethe sweep [--dry-run]`: crypto-shred every expired object that is not on
 * hold (what a daily timer runs). One line per object looked at, then a summary; exit 1 when
 * some object could not be shredded. A shredded object whose file could not be unlinked is a
 * warning, not a failure: its key is gone, and the file stays queued for the next open.
 */
#include <inttypes.h>

#include "cli.h"

enum { OPT_DRY_RUN = OPT_COMMAND_FIRST };

const struct cli_help cmd_sweep_help = {
    .usage = "lethe sweep [--dry-run]",
    .summary = "crypto-shred every expired object not on hold",
    .details = "  -n, --dry-run   show what would be shredded and what is kept on hold\n"
	       "Exit status 1 when some object could not be shredded.\n",
};

struct sweep_state {
	struct cli *cli;
	int dry_run;
	json_t *ids;      /* --json: shredded (or would be) */
	json_t *held;     /* --json: [{id, reason}] */
	json_t *failures; /* --json: [{id, error}] */
	json_t *unlinks;  /* --json: [{id, error}] of files left to unlink */
	int nomem;
};

static json_t *pair(const char *id, const char *key, const char *value)
{
	json_t *o = json_object();

	if (cli_json_set(o, "id", json_string(id)) != 0 ||
	    cli_json_set(o, key, cli_json_str(value != NULL ? value : "")) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void on_event(enum lethe_sweep_event event, const char *id, const char *detail, void *ctx)
{
	struct sweep_state *st = ctx;
	char text[1024];

	/* A failure is an error whatever the output format: one line on stderr. */
	if (event == LETHE_SWEEP_FAILED)
		cli_error(st->cli, id, EXIT_ERROR, "%s", detail != NULL ? detail : "failed");
	/* Even with --quiet (the timer's mode): someone has to fix the cause. */
	if (event == LETHE_SWEEP_UNLINK_PENDING)
		cli_error(st->cli, id, EXIT_OK,
			  "warning: shredded, but its file could not be "
			  "unlinked (it stays queued, retried at every open; see lethe doctor): %s",
			  detail != NULL ? detail : "");
	if (st->cli->json) {
		json_t *v = NULL, *into = NULL;
		switch (event) {
		case LETHE_SWEEP_SHREDDED:
			v = json_string(id);
			into = st->ids;
			break;
		case LETHE_SWEEP_HELD:
			v = pair(id, "reason", detail);
			into = st->held;
			break;
		case LETHE_SWEEP_FAILED:
			v = pair(id, "error", detail);
			into = st->failures;
			break;
		case LETHE_SWEEP_UNLINK_PENDING:
			v = pair(id, "error", detail);
			into = st->unlinks;
			break;
		}
		if (v == NULL || json_array_append_new(into, v) != 0)
			st->nomem = 1;
		return;
	}
	if (st->cli->quiet)
		return;
	switch (event) {
	case LETHE_SWEEP_SHREDDED:
		cli_progress_done();
		printf("%s %s\n", st->dry_run ? "would shred" : "shredded", id);
		break;
	case LETHE_SWEEP_HELD:
		cli_progress_done();
		cli_sanitize(detail != NULL ? detail : "", text, sizeof(text));
		printf("%s %s (on hold: %s)\n", st->dry_run ? "would keep" : "kept", id, text);
		break;
	case LETHE_SWEEP_FAILED:
	case LETHE_SWEEP_UNLINK_PENDING:
		break;
	}
}

int cmd_sweep(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    CLI_COMMON_LONGOPTS,
	};
	struct sweep_state st = {.cli = cli};
	struct lethe_sweep_result result = {0};
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":n", options)) != -1) {
		switch (c) {
		case 'n':
		case OPT_DRY_RUN:
			st.dry_run = 1;
			break;
		}
	}
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	if (cli->json) {
		st.ids = json_array();
		st.held = json_array();
		st.failures = json_array();
		st.unlinks = json_array();
		if (st.ids == NULL || st.held == NULL || st.failures == NULL || st.unlinks == NULL)
			st.nomem = 1;
	}

	err = lethe_sweep(cli->store, st.dry_run, on_event, &st, &result);
	cli_progress_done();
	if (err != LETHE_OK) {
		rc = cli_fail(cli, NULL, err);
		goto out;
	}
	rc = result.failed != 0 ? EXIT_ERROR : EXIT_OK;

	if (cli->json) {
		json_t *o = json_object();
		int bad = st.nomem;
		bad |= cli_json_set(o, "dry_run", json_boolean(st.dry_run));
		bad |= cli_json_set(o, "shredded", json_integer((json_int_t) result.shredded));
		bad |= cli_json_set(o, "held", json_integer((json_int_t) result.held));
		bad |= cli_json_set(o, "failed", json_integer((json_int_t) result.failed));
		bad |= cli_json_set(o, "ids", json_incref(st.ids));
		bad |= cli_json_set(o, "held_objects", json_incref(st.held));
		bad |= cli_json_set(o, "failures", json_incref(st.failures));
		bad |= cli_json_set(o, "unlink_pending", json_incref(st.unlinks));
		if (bad) {
			json_decref(o);
			rc = cli_json_nomem(cli);
			goto out;
		}
		cli_json_print(cli, o);
		goto out;
	}
	if (st.dry_run)
		printf("%" PRIu64 " object%s would be shredded, %" PRIu64 " kept on hold, %" PRIu64
		       " failed\n",
		       result.shredded, result.shredded == 1 ? "" : "s", result.held,
		       result.failed);
	else
		printf(
		    "shredded %" PRIu64 " object%s, %" PRIu64 " kept on hold, %" PRIu64 " failed\n",
		    result.shredded, result.shredded == 1 ? "" : "s", result.held, result.failed);
out:
	json_decref(st.ids);
	json_decref(st.held);
	json_decref(st.failures);
	json_decref(st.unlinks);
	return rc;
}

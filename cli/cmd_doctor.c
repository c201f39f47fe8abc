/*
 * cmd_doctor.c - `lethe doctor [--repair]`: check permissions, config, keystore, schema,
 * rows against files and leftovers; with --repair remove orphans and finish interrupted
 * unlinks. Exit 0 when no error remains, 4 when a row or table of meta.db is not as lethe
 * wrote it (its MAC or digest fails), the audit log's start or anchor is not (records were
 * deleted, the anchor removed), a LUKS2 header of keystore.luks or officers.luks is damaged
 * or the disposal evidence fails (a shred without its certificate or its audit record),
 * 1 for any other error (warnings do not count).
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

enum { OPT_REPAIR = OPT_COMMAND_FIRST };

const struct cli_help cmd_doctor_help = {
    .usage = "lethe doctor [--repair]",
    .summary = "check permissions, consistency and leftovers; repair orphans",
    .details = "  --repair   remove orphan files and finish interrupted unlinks\n"
	       "Exit status 4 when a metadata row fails its MAC or a table its digest,\n"
	       "the audit log does not begin with its init record or reach its anchor,\n"
	       "a LUKS2 header of keystore.luks or officers.luks is damaged,\n"
	       "or a shred lacks its certificate or its audit record,\n"
	       "1 when other errors remain (warnings do not count).\n",
};

static const char *level_name(enum lethe_doctor_level level)
{
	switch (level) {
	case LETHE_DOCTOR_OK:
		return "ok";
	case LETHE_DOCTOR_WARN:
		return "warning";
	case LETHE_DOCTOR_ERROR:
		return "error";
	case LETHE_DOCTOR_REPAIRED:
		return "repaired";
	}
	return "unknown";
}

struct doctor_state {
	struct cli *cli;
	json_t *findings; /* --json */
	json_t *problems; /* --json: the errors, [{where, what}] as the verifiers report them */
	int nomem;
	int tampered; /* an error of the "rows", "audit", "headers" or "evidence" check: exit 4 */
};

static void on_finding(enum lethe_doctor_level level, const char *check, const char *detail,
		       void *ctx)
{
	struct doctor_state *st = ctx;
	char check_s[128], detail_s[2048];

	if (level == LETHE_DOCTOR_ERROR && check != NULL &&
	    (strcmp(check, "rows") == 0 || strcmp(check, "audit") == 0 ||
	     strcmp(check, "headers") == 0 || strcmp(check, "evidence") == 0))
		st->tampered = 1;
	if (st->findings != NULL) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "level", json_string(level_name(level)));
		bad |= cli_json_set_text(o, "check", check != NULL ? check : "");
		bad |= cli_json_set_text(o, "detail", detail != NULL ? detail : "");
		if (bad || json_array_append_new(st->findings, o) != 0)
			st->nomem = 1;
		if (level == LETHE_DOCTOR_ERROR) {
			o = json_object();
			bad = cli_json_set_text(o, "where", check != NULL ? check : "");
			bad |= cli_json_set_text(o, "what", detail != NULL ? detail : "");
			if (bad || json_array_append_new(st->problems, o) != 0)
				st->nomem = 1;
		}
		return;
	}
	if (level == LETHE_DOCTOR_OK && st->cli->quiet)
		return;
	cli_progress_done();
	cli_sanitize(check != NULL ? check : "", check_s, sizeof(check_s));
	cli_sanitize(detail != NULL ? detail : "", detail_s, sizeof(detail_s));
	printf("%-8s  %s%s%s\n", level_name(level), check_s, detail_s[0] != '\0' ? ": " : "",
	       detail_s);
}

int cmd_doctor(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"repair", no_argument, NULL, OPT_REPAIR},
	    CLI_COMMON_LONGOPTS,
	};
	struct doctor_state st = {.cli = cli};
	uint64_t problems = 0;
	enum lethe_err err;
	int c, rc, repair = 0;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1)
		if (c == OPT_REPAIR)
			repair = 1;
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	if (cli->json &&
	    ((st.findings = json_array()) == NULL || (st.problems = json_array()) == NULL)) {
		json_decref(st.findings);
		return cli_fail(cli, NULL, LETHE_ERR_NOMEM);
	}

	err = lethe_doctor(cli->store, repair, on_finding, &st, &problems);
	cli_progress_done();
	if (err != LETHE_OK) {
		json_decref(st.findings);
		json_decref(st.problems);
		return cli_fail(cli, NULL, err);
	}
	rc = problems == 0 ? EXIT_OK : st.tampered ? EXIT_INTEGRITY : EXIT_ERROR;
	if (cli->json) {
		json_t *o = st.nomem ? NULL : json_object();
		int bad = 0;
		bad |= cli_json_set(o, "ok", json_boolean(problems == 0));
		bad |= cli_json_set(o, "repair", json_boolean(repair));
		bad |= cli_json_set(o, "problems", json_incref(st.problems));
		bad |= cli_json_set(o, "findings", json_incref(st.findings));
		int print_rc = cli_json_reply(cli, o, bad);
		json_decref(st.findings);
		json_decref(st.problems);
		return rc == EXIT_OK ? print_rc : rc;
	}
	if (problems == 0) {
		/* --quiet: nothing at all when all is well (a cron job mails any output) */
		if (!cli->quiet)
			printf("no problems found\n");
	} else {
		printf("%" PRIu64 " problem%s remain%s%s\n", problems, problems == 1 ? "" : "s",
		       problems == 1 ? "s" : "",
		       repair ? "" : " (lethe doctor --repair fixes some)");
	}
	return rc;
}

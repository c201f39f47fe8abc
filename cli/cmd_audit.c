/*
 * cmd_audit.c - `lethe audit verify|export|checkpoint`: the MAC-chained audit log.
 *
 * `audit export` writes JSON Lines (one record per line) whether or not --json is given: that
 * is already the machine-readable form, and what a SIEM ingests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_SINCE = OPT_COMMAND_FIRST, OPT_ANCHOR };

const struct cli_help cmd_audit_help = {
    .usage = "lethe audit verify [--anchor FILE]\n"
	     "lethe audit export [--since SEQ|TIME]\n"
	     "lethe audit checkpoint [DIR]\n"
	     "lethe audit reanchor [--officer NAME] --passphrase-file FILE",
    .summary = "verify, export and checkpoint the audit log",
    .details = "verify checks the chain, the signed checkpoints and the anchor in the keystore;\n"
	       "--anchor FILE also requires the log to contain and extend the checkpoint FILE\n"
	       "(a checkpoint-SEQ.json kept elsewhere, its .sig beside it).\n"
	       "export writes JSON Lines, from record SEQ or time TIME on. checkpoint signs the\n"
	       "newest record (and writes the signature to DIR): keep it elsewhere.\n"
	       "reanchor (officers) moves the keystore's anchor to the newest record, after\n"
	       "meta.db was restored from a backup: the loss is recorded in the log.\n",
};

static int audit_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"anchor", required_argument, NULL, OPT_ANCHOR},
	    CLI_COMMON_LONGOPTS,
	};
	struct cli_problems p = {.cli = cli};
	char officer[65] = "";
	const char *anchor = NULL;
	uint64_t records = 0;
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1) {
		if (c == OPT_ANCHOR)
			anchor = optarg;
	}
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	if (cli->json && (p.array = json_array()) == NULL)
		return cli_fail(cli, NULL, LETHE_ERR_NOMEM);
	if (anchor)
		err = lethe_audit_verify_anchor(cli->store, anchor, cli_problem_cb, &p, &records);
	else
		err = lethe_audit_verify(cli->store, cli_problem_cb, &p, &records);
	cli_progress_done();
	/* the authority officer actions were checked against, and what predates it (not when a
	 * failure's own detail is still to be shown) */
	if (err == LETHE_OK || (err == LETHE_ERR_INTEGRITY && p.count > 0)) {
		if (lethe_audit_officer_authority(cli->store, officer, &p.officer_from) == LETHE_OK)
			p.officer_fingerprint = officer;
	}
	return cli_verify_report(cli, err, &p, "record", "records", records, NULL);
}

static int audit_export(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"since", required_argument, NULL, OPT_SINCE},
	    CLI_COMMON_LONGOPTS,
	};
	uint64_t since_seq = 0, count = 0;
	int64_t since_time = 0;
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1) {
		switch (c) {
		case OPT_SINCE:
			/* A plain number is a sequence number; anything else must be a time. */
			if (cli_parse_u64(optarg, &since_seq) == 0)
				break;
			since_seq = 0;
			if (lethe_time_parse(optarg, &since_time) != LETHE_OK)
				return cli_usage_error(cli,
						       "--since wants a record number, a date or a "
						       "time with Z or an offset (2026-11-23 "
						       "13:34+02:00), not '%s'",
						       optarg);
			break;
		}
	}
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	/* The library writes to the descriptor directly: nothing of ours may sit in stdio. */
	fflush(stdout);
	err = lethe_audit_export(cli->store, STDOUT_FILENO, since_seq, since_time, &count);
	if (err != LETHE_OK)
		return cli_fail(cli, NULL, err);
	return EXIT_OK;
}

static int audit_checkpoint(struct cli *cli, int argc, char **argv)
{
	const char *dir = NULL;
	uint64_t seq = 0;
	enum lethe_err err;
	int rc;

	if ((rc = cli_plain_command(cli, argc, argv, 0, 1, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	if (optind < argc)
		dir = argv[optind];
	err = lethe_audit_checkpoint(cli->store, dir, &seq);
	if (err != LETHE_OK)
		return cli_fail(cli, dir, err);
	if (cli->json) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "seq", json_integer((json_int_t) seq));
		bad |= cli_json_set(o, "dir", dir != NULL ? cli_json_str(dir) : json_null());
		return cli_json_reply(cli, o, bad);
	}
	if (dir != NULL) {
		char shown[1024];
		cli_sanitize(dir, shown, sizeof(shown));
		printf("checkpoint at record %" PRIu64 ", written to %s\n", seq, shown);
	} else {
		printf("checkpoint at record %" PRIu64 "\n", seq);
	}
	return EXIT_OK;
}

static int audit_reanchor(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    CLI_PASSPHRASE_LONGOPT,
	    CLI_COMMON_LONGOPTS,
	};
	uint64_t seq = 0;
	enum lethe_err err;
	int rc;

	(void) cli_getopt(cli, argc, argv, ":", options);
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_OFFICER)) != CLI_CONTINUE)
		return rc;
	err = lethe_audit_reanchor(cli->store, &seq);
	if (err != LETHE_OK)
		return cli_fail(cli, NULL, err);
	if (cli->json) {
		json_t *o = json_object();
		int bad = cli_json_set(o, "seq", json_integer((json_int_t) seq));
		return cli_json_reply(cli, o, bad);
	}
	printf("audit anchor moved to record %" PRIu64 "\n", seq);
	return EXIT_OK;
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	    {"verify", audit_verify},
	    {"export", audit_export},
	    {"checkpoint", audit_checkpoint},
	    {"reanchor", audit_reanchor},
	    {NULL, NULL},
	};
	return cli_dispatch_sub(cli, argc, argv, subs);
}

/*
 * cmd_scrub.c - `lethe scrub [--resume] [--limit-rate SIZE] [--max-bytes SIZE]`: read every
 * live object back and check its file's SHA-256 and every tag, writing no plaintext. One line
 * on stderr per bad object, then a summary; exit 4 when any object is bad.
 */
#include <inttypes.h>

#include "cli.h"

enum { OPT_RESUME = OPT_COMMAND_FIRST, OPT_LIMIT_RATE, OPT_MAX_BYTES };

const struct cli_help cmd_scrub_help = {
    .usage = "lethe scrub [--resume] [--limit-rate SIZE] [--max-bytes SIZE]",
    .summary = "read every object back and check its hash and every tag",
    .details =
	"Read each live object's file, check its SHA-256 against the one recorded at put and\n"
	"decrypt it fully (every tag) without writing the plaintext anywhere.\n"
	"  --resume            go on after the last object an unfinished scrub reached\n"
	"  --limit-rate SIZE   read at most SIZE bytes per second (50MiB, 1GiB, 4096)\n"
	"  --max-bytes SIZE    stop once SIZE bytes were read (then --resume goes on)\n"
	"One line on stderr per bad object; exit status 4 when any object is bad.\n",
};

struct scrub_state {
	struct cli *cli;
	json_t *failures; /* --json: [{id, error}] */
	int nomem;
};

/* A bad object is an error whatever the output format: one line on stderr. */
static void on_bad(const char *id, enum lethe_err err, const char *detail, void *ctx)
{
	struct scrub_state *st = ctx;

	(void) err;
	cli_error(st->cli, id, EXIT_INTEGRITY, "%s", detail != NULL ? detail : "failed");
	if (st->failures != NULL) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "id", json_string(id));
		bad |= cli_json_set(o, "error", cli_json_str(detail != NULL ? detail : ""));
		if (bad || json_array_append_new(st->failures, o) != 0)
			st->nomem = 1;
	}
}

static int parse_size(struct cli *cli, const char *option, const char *text, uint64_t *bytes)
{
	if (lethe_size_parse(text, bytes) != LETHE_OK || *bytes == 0)
		return cli_usage_error(cli, "%s %s: expected a size above 0 such as 50MiB", option,
				       text);
	return EXIT_OK;
}

static int print_json(struct cli *cli, const struct scrub_state *st,
		      const struct lethe_scrub_result *r)
{
	json_t *o = st->nomem ? NULL : json_object();
	int bad = 0;

	bad |= cli_json_set(o, "objects", json_integer((json_int_t) r->objects));
	bad |= cli_json_set(o, "bytes", json_integer((json_int_t) r->bytes));
	bad |= cli_json_set(o, "bad", json_integer((json_int_t) r->bad));
	bad |= cli_json_set(o, "complete", json_boolean(r->complete));
	bad |= cli_json_set(o, "resumed_after",
			    r->resumed_after[0] ? json_string(r->resumed_after) : json_null());
	bad |= cli_json_set(o, "failures", json_incref(st->failures));
	if (bad) {
		json_decref(o);
		return cli_json_nomem(cli);
	}
	return cli_json_print(cli, o);
}

int cmd_scrub(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"resume", no_argument, NULL, OPT_RESUME},
	    {"limit-rate", required_argument, NULL, OPT_LIMIT_RATE},
	    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
	    CLI_COMMON_LONGOPTS,
	};
	struct lethe_scrub_opts opts = {0};
	struct lethe_scrub_result result;
	struct scrub_state st = {.cli = cli};
	char size[16];
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1) {
		switch (c) {
		case OPT_RESUME:
			opts.resume = 1;
			break;
		case OPT_LIMIT_RATE:
			if ((rc = parse_size(cli, "--limit-rate", optarg, &opts.rate_limit)) !=
			    EXIT_OK)
				return rc;
			break;
		case OPT_MAX_BYTES:
			if ((rc = parse_size(cli, "--max-bytes", optarg, &opts.max_bytes)) !=
			    EXIT_OK)
				return rc;
			break;
		}
	}
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	if (cli->json && (st.failures = json_array()) == NULL)
		return cli_fail(cli, NULL, LETHE_ERR_NOMEM);

	err = lethe_store_scrub(cli->store, &opts, on_bad, &st, &result);
	cli_progress_done();
	if (err != LETHE_OK) {
		json_decref(st.failures);
		return cli_fail(cli, NULL, err);
	}
	rc = result.bad != 0 ? EXIT_INTEGRITY : EXIT_OK;
	if (cli->json) {
		int print_rc = print_json(cli, &st, &result);
		json_decref(st.failures);
		return rc == EXIT_OK ? print_rc : rc;
	}
	cli_size_human(result.bytes, size, sizeof(size));
	printf("scrubbed %" PRIu64 " object%s (%s read), %" PRIu64 " bad", result.objects,
	       result.objects == 1 ? "" : "s", size, result.bad);
	if (result.resumed_after[0] != '\0')
		printf(", resumed after %s", result.resumed_after);
	printf("\n");
	if (!result.complete)
		printf("stopped at --max-bytes: `lethe scrub --resume` goes on from there\n");
	return rc;
}

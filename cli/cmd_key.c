/*
 * cmd_key.c - `lethe key list|rotate|rewrap|retire|auto`: the key-encryption keys (KEKs).
 * Listing needs the service key; rotate, rewrap and retire need an officer; auto runs all three
 * when rotation is due, as the service when lethe.conf sets [keys] auto_rotate = true.
 *
 * Rotation is three steps, each its own command so that an officer can schedule them: rotate
 * (new objects use the new primary), rewrap (every data key moves to it, no data re-encrypted),
 * retire (the old KEK is destroyed, which closes the horizon on stale copies of wrapped keys).
 */
#include <inttypes.h>

#include "cli.h"

const struct cli_help cmd_key_help = {
    .usage = "lethe key list\n"
	     "lethe key rotate [--officer NAME] [--passphrase-file FILE]\n"
	     "lethe key rewrap [--officer NAME] [--passphrase-file FILE]\n"
	     "lethe key retire VERSION [--officer NAME] [--passphrase-file FILE]\n"
	     "lethe key auto [--officer NAME] [--passphrase-file FILE]",
    .summary = "list, rotate, rewrap and retire key-encryption keys",
    .details = "rotate makes a new primary KEK; rewrap moves every data key under it; retire\n"
	       "destroys an old KEK once no data key uses it. All three need an officer.\n"
	       "auto rotates when [keys] rotation has run out, then rewraps and retires (for\n"
	       "lethe-rotate.timer): as the service with [keys] auto_rotate = true.\n",
};

/*
 * Parse the options of an officer subcommand (only --passphrase-file and the common ones),
 * check that it has @p operands operands and unless @p role is CLI_NO_STORE open the store:
 * CLI_CONTINUE, or the exit code.
 */
static int officer_options(struct cli *cli, int argc, char **argv, int operands, enum cli_role role)
{
	static const struct option options[] = {
	    CLI_PASSPHRASE_LONGOPT,
	    CLI_COMMON_LONGOPTS,
	};

	/* no option of its own: the first call parses them all */
	(void) cli_getopt(cli, argc, argv, ":", options);
	return cli_args(cli, argc, argv, operands, operands, role);
}

static const char *state_name(enum lethe_kek_state state)
{
	return state == LETHE_KEK_RETIRED ? "retired" : "active";
}

static int add_key(const struct lethe_key_info *key, void *ctx)
{
	struct cli_list *list = ctx;

	if (list->array != NULL) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "version", json_integer(key->version));
		bad |= cli_json_set(o, "primary", json_boolean(key->primary));
		bad |= cli_json_set(o, "state", json_string(state_name(key->state)));
		bad |= cli_json_set(o, "created_at", cli_json_time(key->created_at));
		bad |= cli_json_set(o, "retired_at", cli_json_time(key->retired_at));
		bad |= cli_json_set(o, "objects", json_integer((json_int_t) key->objects));
		cli_list_add(list, o, bad, NULL);
		return 0;
	}
	char version[16], created[CLI_TIME_LEN], retired[CLI_TIME_LEN], objects[24];
	snprintf(version, sizeof(version), "%" PRIu32, key->version);
	cli_time_short(key->created_at, created, sizeof(created));
	cli_time_short(key->retired_at, retired, sizeof(retired));
	snprintf(objects, sizeof(objects), "%" PRIu64, key->objects);
	const char *cells[] = {
	    version, key->primary ? "yes" : "-", state_name(key->state), created, retired, objects};
	cli_list_add(list, NULL, 0, cells);
	return 0;
}

static int key_list(struct cli *cli, int argc, char **argv)
{
	static const char *const headers[] = {"VERSION", "PRIMARY", "STATE",
					      "CREATED", "RETIRED", "OBJECTS"};
	struct cli_list list = {0};
	int rc;

	if ((rc = cli_list_start(cli, argc, argv, &list, 6, headers, "rllllr")) != CLI_CONTINUE)
		return rc;
	return cli_list_finish(cli, lethe_key_list(cli->store, add_key, &list), &list);
}

/* rotate and retire answer alike: the KEK they changed, as `key list --json` shows it. */
static int key_reply(struct cli *cli, uint32_t version, int primary)
{
	json_t *o = json_object();
	int bad = 0;

	bad |= cli_json_set(o, "version", json_integer(version));
	bad |= cli_json_set(o, "primary", json_boolean(primary));
	bad |= cli_json_set(
	    o, "state", json_string(state_name(primary ? LETHE_KEK_ACTIVE : LETHE_KEK_RETIRED)));
	return cli_json_reply(cli, o, bad);
}

static int key_rotate(struct cli *cli, int argc, char **argv)
{
	uint32_t version = 0;
	enum lethe_err err;
	int rc;

	if ((rc = officer_options(cli, argc, argv, 0, CLI_OFFICER)) != CLI_CONTINUE)
		return rc;
	err = lethe_key_rotate(cli->store, &version);
	if (err != LETHE_OK)
		return cli_fail(cli, NULL, err);
	if (cli->json)
		return key_reply(cli, version, 1);
	printf("new primary KEK: version %" PRIu32 "\n", version);
	if (!cli->quiet)
		fprintf(stderr, "New objects use it. Run `lethe key rewrap` to move existing data "
				"keys to it, then `lethe key retire` the old version.\n");
	return EXIT_OK;
}

static int key_rewrap(struct cli *cli, int argc, char **argv)
{
	uint64_t count = 0;
	enum lethe_err err;
	int rc;

	if ((rc = officer_options(cli, argc, argv, 0, CLI_OFFICER)) != CLI_CONTINUE)
		return rc;
	err = lethe_key_rewrap(cli->store, &count);
	cli_progress_done();
	if (err != LETHE_OK)
		return cli_fail(cli, NULL, err);
	if (cli->json) {
		json_t *o = json_object();
		return cli_json_reply(
		    cli, o, cli_json_set(o, "rewrapped", json_integer((json_int_t) count)));
	}
	printf("rewrapped %" PRIu64 " data key%s under the primary KEK\n", count,
	       count == 1 ? "" : "s");
	return EXIT_OK;
}

static int key_retire(struct cli *cli, int argc, char **argv)
{
	uint64_t version;
	enum lethe_err err;
	int rc;

	if ((rc = officer_options(cli, argc, argv, 1, CLI_NO_STORE)) != CLI_CONTINUE)
		return rc;
	if (cli_parse_u64(argv[optind], &version) != 0 || version == 0 || version > UINT32_MAX)
		return cli_usage_error(cli, "VERSION is a KEK version number, not '%s'",
				       argv[optind]);
	if ((rc = cli_open(cli, CLI_OFFICER)) != EXIT_OK)
		return rc;
	err = lethe_key_retire(cli->store, (uint32_t) version);
	if (err != LETHE_OK)
		return cli_fail(cli, argv[optind], err);
	if (cli->json)
		return key_reply(cli, (uint32_t) version, 0);
	printf("retired KEK version %" PRIu64 ": what it wrapped can no longer be unwrapped\n",
	       version);
	return EXIT_OK;
}

/* The service unless a passphrase file or an officer was named: a timer has no officer. */
static int key_auto(struct cli *cli, int argc, char **argv)
{
	struct lethe_key_auto_result res;
	enum lethe_err err;
	int rc;

	if ((rc = officer_options(cli, argc, argv, 0, CLI_NO_STORE)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_open(cli, cli->passphrase_file || cli->officer ? CLI_OFFICER
								     : CLI_SERVICE)) != EXIT_OK)
		return rc;
	err = lethe_key_auto(cli->store, &res);
	cli_progress_done();
	if (err != LETHE_OK)
		return cli_fail(cli, NULL, err);
	if (cli->json) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "due", json_boolean(res.due));
		bad |= cli_json_set(o, "rotated_to",
				    res.rotated_to ? json_integer(res.rotated_to) : json_null());
		bad |= cli_json_set(o, "primary", json_integer(res.primary));
		bad |= cli_json_set(o, "primary_age", json_integer(res.primary_age));
		bad |= cli_json_set(o, "next_due", json_integer(res.next_due));
		bad |= cli_json_set(o, "rewrapped", json_integer((json_int_t) res.rewrapped));
		bad |= cli_json_set(o, "retired", json_integer(res.retired));
		return cli_json_reply(cli, o, bad);
	}
	if (res.due)
		printf("rotated: new primary KEK version %" PRIu32 "\n", res.rotated_to);
	else
		printf("primary KEK version %" PRIu32 " is %" PRId64 " days old: not due\n",
		       res.primary, res.primary_age / 86400);
	if (res.rewrapped || res.retired)
		printf("rewrapped %" PRIu64 " data key%s, retired %" PRIu32 " old KEK version%s\n",
		       res.rewrapped, res.rewrapped == 1 ? "" : "s", res.retired,
		       res.retired == 1 ? "" : "s");
	if (res.next_due > 0 && !cli->quiet)
		fprintf(stderr, "next rotation due in %" PRId64 " days\n",
			(res.next_due + 86399) / 86400);
	return EXIT_OK;
}

int cmd_key(struct cli *cli, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	    {"list", key_list},     {"rotate", key_rotate}, {"rewrap", key_rewrap},
	    {"retire", key_retire}, {"auto", key_auto},     {NULL, NULL},
	};
	return cli_dispatch_sub(cli, argc, argv, subs);
}

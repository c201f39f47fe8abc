/*
 * cmd_hold.c - `lethe hold set|clear ID|--group G`: legal holds. A held object is never
 * shredded; anyone with the service key may place a hold, only an officer may clear one.
 */
#include <string.h>

#include "cli.h"

enum { OPT_GROUP = OPT_COMMAND_FIRST, OPT_REASON };

const struct cli_help cmd_hold_help = {
    .usage =
	"lethe hold set ID|--group G --reason TEXT\n"
	"lethe hold clear ID|--group G [--reason TEXT] [--officer NAME] [--passphrase-file FILE]",
    .summary = "place or clear a legal hold",
    .details =
	"A held object is never shredded. A group hold also covers objects written later.\n"
	"Clearing a hold takes an officer passphrase; its --reason goes into the audit log.\n",
};

static int hold(struct cli *cli, int argc, char **argv, int set)
{
	static const struct option set_options[] = {
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"reason", required_argument, NULL, OPT_REASON},
	    CLI_COMMON_LONGOPTS,
	};
	static const struct option clear_options[] = {
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"reason", required_argument, NULL, OPT_REASON},
	    CLI_PASSPHRASE_LONGOPT,
	    CLI_COMMON_LONGOPTS,
	};
	const char *group = NULL, *reason = NULL, *id = NULL;
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", set ? set_options : clear_options)) != -1) {
		switch (c) {
		case OPT_GROUP:
			group = optarg;
			break;
		case OPT_REASON:
			reason = optarg;
			break;
		}
	}
	if ((rc = cli_id_or_group(cli, argc, argv, group, &id)) != CLI_CONTINUE)
		return rc;
	if (set && (reason == NULL || reason[0] == '\0'))
		return cli_usage_error(cli, "--reason TEXT is required (the case reference)");
	if (reason != NULL && strlen(reason) > LETHE_REASON_MAX)
		return cli_usage_error(cli, "--reason is longer than %d bytes", LETHE_REASON_MAX);

	if ((rc = cli_open(cli, set ? CLI_SERVICE : CLI_OFFICER)) != EXIT_OK)
		return rc;
	if (set)
		err = lethe_hold_set(cli->store, id, group, reason);
	else
		err = lethe_hold_clear(cli->store, id, group, reason);
	if (err != LETHE_OK)
		return cli_fail(cli, id != NULL ? id : group, err);

	if (cli->json) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "id", id != NULL ? json_string(id) : json_null());
		bad |= cli_json_set(o, "group", group != NULL ? cli_json_str(group) : json_null());
		bad |= cli_json_set(o, "hold", json_boolean(set));
		bad |= cli_json_set(o, "reason", reason ? cli_json_str(reason) : json_null());
		return cli_json_reply(cli, o, bad);
	}
	if (id != NULL)
		printf("hold %s on object %s\n", set ? "set" : "cleared", id);
	else
		printf("hold %s on group %s\n", set ? "set" : "cleared", group);
	return EXIT_OK;
}

static int hold_set(struct cli *cli, int argc, char **argv)
{
	return hold(cli, argc, argv, 1);
}

static int hold_clear(struct cli *cli, int argc, char **argv)
{
	return hold(cli, argc, argv, 0);
}

int cmd_hold(struct cli *cli, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	    {"set", hold_set},
	    {"clear", hold_clear},
	    {NULL, NULL},
	};
	return cli_dispatch_sub(cli, argc, argv, subs);
}

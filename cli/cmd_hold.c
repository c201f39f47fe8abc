/*
 * cmd_hold.c - `lethe hold set|clear|list`: legal holds. A held object is never shredded;
 * anyone with the service key may place a hold, only an officer may clear one. Holds stack:
 * each has its own case reference and is cleared on its own.
 */
#include <string.h>

#include "cli.h"

enum { OPT_GROUP = OPT_COMMAND_FIRST, OPT_REASON, OPT_REF };

const struct cli_help cmd_hold_help = {
    .usage = "lethe hold set ID|--group G --reason REF\n"
	     "lethe hold clear ID|--group G [--ref REF] [--reason TEXT] [--officer NAME]\n"
	     "                 [--passphrase-file FILE]\n"
	     "lethe hold list [ID|--group G]",
    .summary = "place, clear or list legal holds",
    .details =
	"A held object is never shredded. A group hold also covers objects written later.\n"
	"Holds stack: each case reference (set's --reason, or --ref) is a hold of its own.\n"
	"Clearing one takes an officer passphrase and its --ref (which may be left out when\n"
	"there is one hold); clear's --reason says why it ends, in the audit log.\n",
};

static int hold(struct cli *cli, int argc, char **argv, int set)
{
	static const struct option set_options[] = {
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"reason", required_argument, NULL, OPT_REASON},
	    {"ref", required_argument, NULL, OPT_REF},
	    CLI_COMMON_LONGOPTS,
	};
	static const struct option clear_options[] = {
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"reason", required_argument, NULL, OPT_REASON},
	    {"ref", required_argument, NULL, OPT_REF},
	    CLI_PASSPHRASE_LONGOPT,
	    CLI_COMMON_LONGOPTS,
	};
	const char *group = NULL, *reason = NULL, *ref = NULL, *id = NULL;
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
		case OPT_REF:
			ref = optarg;
			break;
		}
	}
	if ((rc = cli_id_or_group(cli, argc, argv, group, &id)) != CLI_CONTINUE)
		return rc;
	/* set: --reason is the case reference, and --ref another name for it */
	if (set && ref != NULL && reason != NULL && strcmp(ref, reason) != 0)
		return cli_usage_error(cli, "--ref and --reason name two references: give one");
	if (set && ref == NULL)
		ref = reason;
	if (set && (ref == NULL || ref[0] == '\0'))
		return cli_usage_error(cli, "--reason REF is required (the case reference)");
	if (reason != NULL && strlen(reason) > LETHE_REASON_MAX)
		return cli_usage_error(cli, "--reason is longer than %d bytes", LETHE_REASON_MAX);
	if (ref != NULL && strlen(ref) > LETHE_REASON_MAX)
		return cli_usage_error(cli, "--ref is longer than %d bytes", LETHE_REASON_MAX);

	if ((rc = cli_open(cli, set ? CLI_SERVICE : CLI_OFFICER)) != EXIT_OK)
		return rc;
	if (set)
		err = lethe_hold_set(cli->store, id, group, ref);
	else if (ref != NULL)
		err = lethe_hold_release(cli->store, id, group, ref, reason);
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
		bad |= cli_json_set(o, "ref", ref ? cli_json_str(ref) : json_null());
		bad |= cli_json_set(o, "reason", reason ? cli_json_str(reason) : json_null());
		return cli_json_reply(cli, o, bad);
	}
	if (id != NULL)
		printf("hold %s on object %s\n", set ? "set" : "cleared", id);
	else
		printf("hold %s on group %s\n", set ? "set" : "cleared", group);
	return EXIT_OK;
}

static int add_hold(const struct lethe_hold_info *info, void *ctx)
{
	struct cli_list *list = ctx;
	char when[CLI_TIME_LEN], ref[LETHE_REASON_MAX * 4 + 1], by[sizeof(info->set_by) * 4];

	if (list->array != NULL) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "id", info->id[0] ? json_string(info->id) : json_null());
		bad |= cli_json_set(o, "group",
				    info->group[0] ? cli_json_str(info->group) : json_null());
		bad |= cli_json_set_text(o, "ref", info->ref);
		bad |= cli_json_set(o, "set_at", cli_json_time(info->set_at));
		bad |= cli_json_set_text(o, "set_by", info->set_by);
		cli_list_add(list, o, bad, NULL);
		return 0;
	}
	cli_time_short(info->set_at, when, sizeof(when));
	cli_sanitize(info->ref, ref, sizeof(ref));
	cli_sanitize(info->set_by[0] ? info->set_by : "-", by, sizeof(by));
	const char *cells[] = {info->id[0] ? "object" : "group",
			       info->id[0] ? info->id : info->group, ref, when, by};
	cli_list_add(list, NULL, 0, cells);
	return 0;
}

static int hold_list(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"group", required_argument, NULL, OPT_GROUP},
	    CLI_COMMON_LONGOPTS,
	};
	static const char *const headers[] = {"ON", "OBJECT OR GROUP", "REFERENCE", "SET",
					      "SET BY"};
	struct cli_list list = {0};
	const char *group = NULL, *id = NULL;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1)
		if (c == OPT_GROUP)
			group = optarg;
	if ((rc = cli_args(cli, argc, argv, 0, group != NULL ? 0 : 1, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	if (optind < argc) {
		cli_id_fold(argv[optind]);
		id = argv[optind];
	}
	if (cli->json)
		list.array = json_array();
	else
		list.table = cli_table_new(5, headers, "lllll");
	if (list.array == NULL && list.table == NULL)
		return cli_fail(cli, NULL, LETHE_ERR_NOMEM);
	return cli_list_finish(cli, lethe_hold_list(cli->store, id, group, add_hold, &list), &list);
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
	    {"list", hold_list},
	    {NULL, NULL},
	};
	return cli_dispatch_sub(cli, argc, argv, subs);
}

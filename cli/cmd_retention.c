/*
 * cmd_retention.c - `lethe retention extend ID|--group G --until DATE|--by DURATION`:
 * lengthen retention. It never shortens (an --until before an object's retain_until is
 * refused), like an S3 Object Lock retention date.
 */
#include <inttypes.h>

#include "cli.h"

enum { OPT_GROUP = OPT_COMMAND_FIRST, OPT_UNTIL, OPT_BY };

const struct cli_help cmd_retention_help = {
    .usage = "lethe retention extend ID|--group G --until DATE|--by DURATION",
    .summary = "lengthen retention (never shortens)",
    .details = "  --until DATE     YYYY-MM-DD (UTC), or a time with Z or an offset:\n"
	       "                   \"2027-01-01 09:00+02:00\"; refused if earlier\n"
	       "  --by DURATION    Ns, Nm, Nh, Nd or Nw added to each object's retain_until\n",
};

static int extend(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"by", required_argument, NULL, OPT_BY},
	    CLI_COMMON_LONGOPTS,
	};
	const char *group = NULL, *id = NULL, *until_arg = NULL, *by_arg = NULL;
	struct lethe_object_info info;
	int64_t until = 0, by = 0;
	uint64_t changed = 0;
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1) {
		switch (c) {
		case OPT_GROUP:
			group = optarg;
			break;
		case OPT_UNTIL:
			until_arg = optarg;
			break;
		case OPT_BY:
			by_arg = optarg;
			break;
		}
	}
	if ((rc = cli_id_or_group(cli, argc, argv, group, &id)) != CLI_CONTINUE)
		return rc;
	if ((until_arg == NULL) == (by_arg == NULL))
		return cli_usage_error(cli, "give exactly one of --until DATE and --by DURATION");
	if (until_arg != NULL && (lethe_time_parse(until_arg, &until) != LETHE_OK || until <= 0))
		return cli_usage_error(
		    cli,
		    "--until wants YYYY-MM-DD (UTC) or a time with Z or an offset "
		    "(2027-01-01 09:00+02:00), not '%s'",
		    until_arg);
	if (by_arg != NULL && (lethe_duration_parse(by_arg, &by) != LETHE_OK || by <= 0))
		return cli_usage_error(
		    cli, "--by wants a duration such as 30d, 12w or 6h, not '%s'", by_arg);

	if ((rc = cli_open(cli, CLI_SERVICE)) != EXIT_OK)
		return rc;
	err = lethe_retention_extend(cli->store, id, group, until, by, &changed);
	if (err != LETHE_OK)
		return cli_fail(cli, id != NULL ? id : group, err);
	/* For one object, show the date it now has (--by adds to what it had). */
	if (id != NULL && (err = lethe_object_stat(cli->store, id, &info)) != LETHE_OK)
		return cli_fail(cli, id, err);

	if (cli->json) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "id", id != NULL ? json_string(id) : json_null());
		bad |= cli_json_set(o, "group", group != NULL ? cli_json_str(group) : json_null());
		bad |= cli_json_set(o, "changed", json_integer((json_int_t) changed));
		if (id != NULL)
			bad |= cli_json_set(o, "retain_until", cli_json_time(info.retain_until));
		return cli_json_reply(cli, o, bad);
	}
	if (id != NULL) {
		char when[CLI_TIME_LEN];
		cli_time_long(info.retain_until, when, sizeof(when));
		printf("%s retained until %s\n", id, when);
	} else {
		printf("extended %" PRIu64 " object%s of group %s\n", changed,
		       changed == 1 ? "" : "s", group);
	}
	return EXIT_OK;
}

int cmd_retention(struct cli *cli, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	    {"extend", extend},
	    {NULL, NULL},
	};
	return cli_dispatch_sub(cli, argc, argv, subs);
}

/*
 * cmd_ls.c - `lethe ls`: list objects as a table, or as a JSON array of what `stat` prints.
 *
 * A store may hold millions of objects, so neither form keeps the listing in memory: JSON is
 * streamed, and the table is printed in a second pass over the objects once the first has
 * measured the columns.
 */
#include <string.h>

#include "cli.h"

enum { OPT_GROUP = OPT_COMMAND_FIRST, OPT_EXPIRED, OPT_ALL };

const struct cli_help cmd_ls_help = {
    .usage = "lethe ls [--group G] [--expired] [--all]",
    .summary = "list objects",
    .details = "  --group G   only the objects of group G\n"
	       "  --expired   only live objects whose retention is over\n"
	       "  -a, --all   shredded objects too\n",
};

struct ls_state {
	int all;   /* --all: shredded objects too, with a STATE column */
	int first; /* JSON: no element printed yet */
	size_t group_width;
	size_t size_width;
	uint64_t count;
};

static int measure(const struct lethe_object_info *info, void *ctx)
{
	struct ls_state *ls = ctx;
	char buf[4 * LETHE_GROUP_MAX + 1], size[16];

	cli_sanitize(info->group, buf, sizeof(buf));
	if (strlen(buf) > ls->group_width)
		ls->group_width = strlen(buf);
	lethe_size_format(info->size, size);
	if (strlen(size) > ls->size_width)
		ls->size_width = strlen(size);
	ls->count++;
	return 0;
}

static void print_header(const struct ls_state *ls)
{
	printf("%-36s  %-*s  %*s  %-*s  %-*s  %-4s  %sNAME\n", "ID", (int) ls->group_width, "GROUP",
	       (int) ls->size_width, "SIZE", CLI_TIME_COLS, "CREATED", CLI_TIME_COLS,
	       "RETAIN UNTIL", "HOLD", ls->all ? "STATE     " : "");
}

static int print_row(const struct lethe_object_info *info, void *ctx)
{
	const struct ls_state *ls = ctx;
	char group[4 * LETHE_GROUP_MAX + 1], name[4 * LETHE_NAME_MAX + 1], size[16];
	char created[CLI_TIME_LEN], until[CLI_TIME_LEN];

	cli_sanitize(info->group, group, sizeof(group));
	cli_sanitize(info->name, name, sizeof(name));
	lethe_size_format(info->size, size);
	cli_time_short(info->created_at, created, sizeof(created));
	cli_time_short(info->retain_until, until, sizeof(until));
	printf("%-36s  %-*s  %*s  %-*s  %-*s  %-4s  ", info->id, (int) ls->group_width, group,
	       (int) ls->size_width, size, CLI_TIME_COLS, created, CLI_TIME_COLS, until,
	       info->hold ? "held" : "-");
	if (ls->all)
		printf("%-8s  ", info->state == LETHE_STATE_SHREDDED ? "shredded" : "live");
	printf("%s\n", name);
	return 0;
}

static int print_json(const struct lethe_object_info *info, void *ctx)
{
	struct ls_state *ls = ctx;

	cli_json_array_element(cli_json_object_info(info), &ls->first);
	return 0;
}

int cmd_ls(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"expired", no_argument, NULL, OPT_EXPIRED},
	    {"all", no_argument, NULL, OPT_ALL},
	    CLI_COMMON_LONGOPTS,
	};
	struct ls_state ls = {.first = 1, .group_width = 5, .size_width = 4};
	const char *group = NULL;
	unsigned flags = 0;
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":a", options)) != -1) {
		switch (c) {
		case OPT_GROUP:
			group = optarg;
			break;
		case OPT_EXPIRED:
			flags |= LETHE_LIST_EXPIRED;
			break;
		case 'a':
		case OPT_ALL:
			flags |= LETHE_LIST_SHREDDED;
			ls.all = 1;
			break;
		}
	}
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;

	if (cli->json) {
		cli_json_array_begin();
		err = lethe_object_list(cli->store, group, flags, print_json, &ls);
		/* Close the array even on failure: stdout stays one JSON value. */
		cli_json_array_end(ls.first);
		return err == LETHE_OK ? EXIT_OK : cli_fail(cli, group, err);
	}
	err = lethe_object_list(cli->store, group, flags, measure, &ls);
	if (err != LETHE_OK)
		return cli_fail(cli, group, err);
	if (ls.count == 0)
		return EXIT_OK;
	print_header(&ls);
	err = lethe_object_list(cli->store, group, flags, print_row, &ls);
	return err == LETHE_OK ? EXIT_OK : cli_fail(cli, group, err);
}

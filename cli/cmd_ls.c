/*
 * cmd_ls.c - `lethe ls`: list objects as a table, or as a JSON array of what `stat` prints,
 * filtered by name prefix, time ranges and state, sorted, limited, paged on a terminal.
 *
 * A store may hold millions of objects, so in creation order (the store's own) neither form
 * keeps the listing in memory: JSON is streamed, and the table is printed in a second pass
 * over the objects once the first has measured the columns. Another order (--sort,
 * --reverse) needs every matching object in memory first.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_GROUP = OPT_COMMAND_FIRST,
	OPT_EXPIRED,
	OPT_ALL,
	OPT_PREFIX,
	OPT_CREATED_AFTER,
	OPT_CREATED_BEFORE,
	OPT_UNTIL_AFTER,
	OPT_UNTIL_BEFORE,
	OPT_STATE,
	OPT_SORT,
	OPT_REVERSE,
	OPT_LIMIT,
	OPT_NO_PAGER,
};

const struct cli_help cmd_ls_help = {
    .usage = "lethe ls [--group G] [--prefix P] [--state STATE] [--expired] [--all]\n"
	     "         [--created-after T] [--created-before T] [--until-after T] "
	     "[--until-before T]\n"
	     "         [--sort KEY] [--reverse] [--limit N] [--no-pager]",
    .summary = "list objects",
    .details = "  --group G            only the objects of group G\n"
	       "  --prefix P           only objects whose name starts with P\n"
	       "  --state STATE        live (default), held, expired, shredded or all\n"
	       "  --expired            --state expired: live objects whose retention is over\n"
	       "  -a, --all            --state all: shredded objects too\n"
	       "  --created-after T    created at or after T (DATE or TIME)\n"
	       "  --created-before T   created before T\n"
	       "  --until-after T      retain_until at or after T\n"
	       "  --until-before T     retain_until before T\n"
	       "  --sort KEY           created (default), name, size, until, group or id\n"
	       "  -r, --reverse        the other way round\n"
	       "  -n, --limit N        at most N objects\n"
	       "  --no-pager           never page (a terminal gets $LETHE_PAGER, $PAGER or less)\n",
};

enum ls_state_filter { STATE_LIVE, STATE_HELD, STATE_EXPIRED, STATE_SHREDDED, STATE_ALL };
enum ls_sort { SORT_CREATED, SORT_NAME, SORT_SIZE, SORT_UNTIL, SORT_GROUP, SORT_ID };

/* The bounds of a time range: [after, before); 0 where there is none. */
struct ls_range {
	int64_t after, before;
};

struct ls_row {
	struct lethe_object_info info;
	struct lethe_object_detail detail;
};

struct ls_state {
	struct cli *cli;
	enum lethe_err err; /* lethe_object_detail() failed, or out of memory: the listing stops */
	int all;            /* shredded objects listed: STATE and CERTIFICATE columns */
	int first;          /* JSON: no element printed yet */
	size_t group_width;
	size_t size_width;
	uint64_t count; /* objects matched (and measured, printed or kept) so far */
	uint64_t limit; /* 0: no limit */
	/* filters */
	const char *prefix;
	size_t prefix_len;
	struct ls_range created, until;
	enum ls_state_filter state;
	/* --sort other than created, or --reverse: rows kept and sorted */
	enum ls_sort sort;
	int reverse;
	struct ls_row *rows;
	size_t nrows, cap;
	int (*emit)(const struct lethe_object_info *info, const struct lethe_object_detail *detail,
		    struct ls_state *ls);
};

static int in_range(int64_t t, const struct ls_range *r)
{
	return (r->after == 0 || t >= r->after) && (r->before == 0 || t < r->before);
}

/* Whether @p info is listed; the store already narrowed by group and by state flags. */
static int match(const struct ls_state *ls, const struct lethe_object_info *info)
{
	if (ls->prefix_len > 0 && strncmp(info->name, ls->prefix, ls->prefix_len) != 0)
		return 0;
	if (!in_range(info->created_at, &ls->created) || !in_range(info->retain_until, &ls->until))
		return 0;
	if (ls->state == STATE_HELD && !info->hold)
		return 0;
	if (ls->state == STATE_SHREDDED && info->state != LETHE_STATE_SHREDDED)
		return 0;
	return 1;
}

static int measure(const struct lethe_object_info *info, const struct lethe_object_detail *detail,
		   struct ls_state *ls)
{
	char buf[4 * LETHE_GROUP_MAX + 1], size[16];

	(void) detail;
	cli_sanitize(info->group, buf, sizeof(buf));
	if (strlen(buf) > ls->group_width)
		ls->group_width = strlen(buf);
	lethe_size_format(info->size, size);
	if (strlen(size) > ls->size_width)
		ls->size_width = strlen(size);
	return 0;
}

static void print_header(const struct ls_state *ls)
{
	printf("%-36s  %-*s  %*s  %-*s  %-*s  %-4s  %-6s  ", "ID", (int) ls->group_width, "GROUP",
	       (int) ls->size_width, "SIZE", CLI_TIME_COLS, "CREATED", CLI_TIME_COLS,
	       "RETAIN UNTIL", "HOLD", "LOCK");
	if (ls->all)
		printf("%-8s  %-36s  ", "STATE", "CERTIFICATE");
	printf("NAME\n");
}

static int print_row(const struct lethe_object_info *info, const struct lethe_object_detail *detail,
		     struct ls_state *ls)
{
	char group[4 * LETHE_GROUP_MAX + 1], name[4 * LETHE_NAME_MAX + 1], size[16];
	char created[CLI_TIME_LEN], until[CLI_TIME_LEN];

	cli_sanitize(info->group, group, sizeof(group));
	cli_sanitize(info->name, name, sizeof(name));
	lethe_size_format(info->size, size);
	cli_time_short(info->created_at, created, sizeof(created));
	cli_time_short(info->retain_until, until, sizeof(until));
	printf("%-36s  %-*s  %*s  %-*s  %-*s  %-4s  %-6s  ", info->id, (int) ls->group_width, group,
	       (int) ls->size_width, size, CLI_TIME_COLS, created, CLI_TIME_COLS, until,
	       info->hold ? "held" : "-", detail->locked ? "locked" : "-");
	if (ls->all)
		printf("%-8s  %-36s  ", info->state == LETHE_STATE_SHREDDED ? "shredded" : "live",
		       detail->cert_id[0] != '\0' ? detail->cert_id : "-");
	printf("%s\n", name);
	return 0;
}

static int print_json(const struct lethe_object_info *info,
		      const struct lethe_object_detail *detail, struct ls_state *ls)
{
	json_t *o = cli_json_object_info(info, detail);

	if (o == NULL) {
		ls->err = LETHE_ERR_NOMEM;
		return 1;
	}
	cli_json_array_element(o, &ls->first);
	return 0;
}

static int keep(const struct lethe_object_info *info, const struct lethe_object_detail *detail,
		struct ls_state *ls)
{
	if (ls->nrows == ls->cap) {
		size_t cap = ls->cap == 0 ? 256 : ls->cap * 2;
		struct ls_row *grown = realloc(ls->rows, cap * sizeof(*grown));
		if (grown == NULL) {
			ls->err = LETHE_ERR_NOMEM;
			return 1;
		}
		ls->rows = grown;
		ls->cap = cap;
	}
	ls->rows[ls->nrows].info = *info;
	ls->rows[ls->nrows].detail = *detail;
	ls->nrows++;
	return 0;
}

/* lethe_object_list()'s callback: filter, then hand the object on, up to the limit. */
static int each(const struct lethe_object_info *info, const struct lethe_object_detail *detail,
		void *ctx)
{
	struct ls_state *ls = ctx;

	if (!match(ls, info))
		return 0;
	if (ls->emit(info, detail, ls) != 0)
		return 1;
	ls->count++;
	/* kept rows are sorted first: the limit applies after */
	return ls->emit != keep && ls->limit != 0 && ls->count >= ls->limit;
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static enum ls_sort sort_key; /* qsort() has no context argument */
static int sort_reverse;

/* By the key, then by the store's order (created, id): the order is total, so repeatable. */
static int compare(const void *va, const void *vb)
{
	const struct lethe_object_info *a = &((const struct ls_row *) va)->info;
	const struct lethe_object_info *b = &((const struct ls_row *) vb)->info;
	int c = 0;

	switch (sort_key) {
	case SORT_NAME:
		c = strcmp(a->name, b->name);
		break;
	case SORT_SIZE:
		c = a->size < b->size ? -1 : a->size > b->size;
		break;
	case SORT_UNTIL:
		c = cmp_i64(a->retain_until, b->retain_until);
		break;
	case SORT_GROUP:
		c = strcmp(a->group, b->group);
		break;
	case SORT_ID:
		c = strcmp(a->id, b->id);
		break;
	case SORT_CREATED:
		break;
	}
	if (c == 0)
		c = cmp_i64(a->created_at, b->created_at);
	if (c == 0)
		c = strcmp(a->id, b->id);
	return sort_reverse ? -c : c;
}

static int parse_time(struct cli *cli, const char *option, const char *text, int64_t *t)
{
	if (lethe_time_parse(text, t) != LETHE_OK || *t == 0)
		return cli_usage_error(cli, "%s takes a DATE or TIME, not '%s'", option, text);
	return CLI_CONTINUE;
}

static int parse_choice(const char *text, const char *const *names, int *value)
{
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(text, names[i]) == 0) {
			*value = i;
			return 0;
		}
	}
	return -1;
}

/* Print the kept rows, sorted, up to the limit. */
static enum lethe_err print_kept(struct cli *cli, struct ls_state *ls, int paged)
{
	size_t n = ls->nrows;

	sort_key = ls->sort;
	sort_reverse = ls->reverse;
	if (n > 0)
		qsort(ls->rows, n, sizeof(*ls->rows), compare);
	if (ls->limit != 0 && n > ls->limit)
		n = (size_t) ls->limit;
	if (cli->json) {
		cli_json_array_begin();
		for (size_t i = 0; i < n && ls->err == LETHE_OK; i++)
			print_json(&ls->rows[i].info, &ls->rows[i].detail, ls);
		cli_json_array_end(ls->first);
		return ls->err;
	}
	for (size_t i = 0; i < n; i++)
		measure(&ls->rows[i].info, &ls->rows[i].detail, ls);
	if (n == 0)
		return LETHE_OK;
	if (paged)
		cli_pager_start();
	print_header(ls);
	for (size_t i = 0; i < n && ls->err == LETHE_OK; i++)
		print_row(&ls->rows[i].info, &ls->rows[i].detail, ls);
	cli_pager_finish();
	return ls->err;
}

int cmd_ls(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"expired", no_argument, NULL, OPT_EXPIRED},
	    {"all", no_argument, NULL, OPT_ALL},
	    {"prefix", required_argument, NULL, OPT_PREFIX},
	    {"created-after", required_argument, NULL, OPT_CREATED_AFTER},
	    {"created-before", required_argument, NULL, OPT_CREATED_BEFORE},
	    {"until-after", required_argument, NULL, OPT_UNTIL_AFTER},
	    {"until-before", required_argument, NULL, OPT_UNTIL_BEFORE},
	    {"state", required_argument, NULL, OPT_STATE},
	    {"sort", required_argument, NULL, OPT_SORT},
	    {"reverse", no_argument, NULL, OPT_REVERSE},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"no-pager", no_argument, NULL, OPT_NO_PAGER},
	    CLI_COMMON_LONGOPTS,
	};
	static const char *const states[] = {"live", "held", "expired", "shredded", "all", NULL};
	static const char *const sorts[] = {"created", "name", "size", "until",
					    "group",   "id",   NULL};
	struct ls_state ls = {.cli = cli, .first = 1, .group_width = 5, .size_width = 4};
	const char *group = NULL;
	unsigned flags = 0;
	int c, rc = CLI_CONTINUE, choice = 0, paged = 1;
	enum lethe_err err;

	while (rc == CLI_CONTINUE && (c = cli_getopt(cli, argc, argv, ":arn:", options)) != -1) {
		switch (c) {
		case OPT_GROUP:
			group = optarg;
			break;
		case OPT_EXPIRED:
			ls.state = STATE_EXPIRED;
			break;
		case 'a':
		case OPT_ALL:
			ls.state = STATE_ALL;
			break;
		case OPT_PREFIX:
			ls.prefix = optarg;
			ls.prefix_len = strlen(optarg);
			break;
		case OPT_CREATED_AFTER:
			rc = parse_time(cli, "--created-after", optarg, &ls.created.after);
			break;
		case OPT_CREATED_BEFORE:
			rc = parse_time(cli, "--created-before", optarg, &ls.created.before);
			break;
		case OPT_UNTIL_AFTER:
			rc = parse_time(cli, "--until-after", optarg, &ls.until.after);
			break;
		case OPT_UNTIL_BEFORE:
			rc = parse_time(cli, "--until-before", optarg, &ls.until.before);
			break;
		case OPT_STATE:
			if (parse_choice(optarg, states, &choice) != 0)
				rc = cli_usage_error(cli,
						     "--state is live, held, expired, "
						     "shredded or all, not '%s'",
						     optarg);
			ls.state = (enum ls_state_filter) choice;
			break;
		case OPT_SORT:
			if (parse_choice(optarg, sorts, &choice) != 0)
				rc = cli_usage_error(cli,
						     "--sort is created, name, size, until, "
						     "group or id, not '%s'",
						     optarg);
			ls.sort = (enum ls_sort) choice;
			break;
		case 'r':
		case OPT_REVERSE:
			ls.reverse = 1;
			break;
		case 'n':
		case OPT_LIMIT:
			if (cli_parse_u64(optarg, &ls.limit) != 0 || ls.limit == 0)
				rc = cli_usage_error(
				    cli, "--limit takes a positive count, not '%s'", optarg);
			break;
		case OPT_NO_PAGER:
			paged = 0;
			break;
		}
	}
	if (rc != CLI_CONTINUE)
		return rc;
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	if (ls.state == STATE_EXPIRED)
		flags |= LETHE_LIST_EXPIRED;
	if (ls.state == STATE_SHREDDED || ls.state == STATE_ALL) {
		flags |= LETHE_LIST_SHREDDED;
		ls.all = 1;
	}

	if (ls.sort != SORT_CREATED || ls.reverse) {
		ls.emit = keep;
		err = lethe_object_list_detail(cli->store, group, flags, each, &ls);
		if (err == LETHE_OK)
			err = ls.err;
		if (err == LETHE_OK)
			err = print_kept(cli, &ls, paged);
		free(ls.rows);
		return err == LETHE_OK ? EXIT_OK : cli_fail(cli, group, err);
	}
	if (cli->json) {
		ls.emit = print_json;
		cli_json_array_begin();
		err = lethe_object_list_detail(cli->store, group, flags, each, &ls);
		if (err == LETHE_OK)
			err = ls.err;
		/* Close the array even on failure: stdout stays one JSON value. */
		cli_json_array_end(ls.first);
		return err == LETHE_OK ? EXIT_OK : cli_fail(cli, group, err);
	}
	ls.emit = measure;
	err = lethe_object_list_detail(cli->store, group, flags, each, &ls);
	/* rows that failed their check are left out and reported after the others */
	if (err != LETHE_OK && err != LETHE_ERR_INTEGRITY)
		return cli_fail(cli, group, err);
	if (ls.count == 0)
		return err == LETHE_OK ? EXIT_OK : cli_fail(cli, group, err);
	if (paged)
		cli_pager_start();
	print_header(&ls);
	ls.count = 0;
	ls.emit = print_row;
	err = lethe_object_list_detail(cli->store, group, flags, each, &ls);
	if (err == LETHE_OK)
		err = ls.err;
	cli_pager_finish();
	return err == LETHE_OK ? EXIT_OK : cli_fail(cli, group, err);
}

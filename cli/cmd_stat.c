/* cmd_stat.c - `lethe stat ID`: what lethe knows of one object, live or shredded. */
#include <inttypes.h>

#include "cli.h"

const struct cli_help cmd_stat_help = {
    .usage = "lethe stat ID",
    .summary = "show what is known of an object",
};

static void field(const char *label, const char *value)
{
	printf("%-13s %s\n", label, value);
}

static void print_time(const char *label, int64_t seconds)
{
	char when[CLI_TIME_LEN], rel[32], line[CLI_TIME_LEN + 40];

	cli_time_long(seconds, when, sizeof(when));
	cli_time_relative(seconds, rel, sizeof(rel));
	snprintf(line, sizeof(line), "%s (%s)", when, rel);
	field(label, line);
}

static void print_info(const struct lethe_object_info *info,
		       const struct lethe_object_detail *detail)
{
	char buf[4 * LETHE_NAME_MAX + 64], size[16], sha[65];

	field("id", info->id);
	cli_sanitize(info->name, buf, sizeof(buf));
	field("name", buf[0] != '\0' ? buf : "-");
	cli_sanitize(info->group, buf, sizeof(buf));
	field("group", buf);
	field("state", info->state == LETHE_STATE_SHREDDED ? "shredded" : "live");
	lethe_size_format(info->size, size);
	snprintf(buf, sizeof(buf), "%s (%" PRIu64 " bytes)", size, info->size);
	field("size", buf);
	print_time("created", info->created_at);
	print_time("retain until", info->retain_until);
	if (info->state == LETHE_STATE_SHREDDED)
		print_time("shredded", info->shredded_at);
	if (info->hold) {
		char reason[4 * LETHE_REASON_MAX + 1];
		cli_sanitize(info->hold_reason, reason, sizeof(reason));
		snprintf(buf, sizeof(buf), "yes: %s", reason);
		field("hold", buf);
	} else {
		field("hold", "no");
	}
	field("locked", detail->locked ? "yes (compliance: no early shred)" : "no");
	if (detail->cert_id[0] != '\0')
		field("certificate", detail->cert_id);
	if (info->kek_version != 0) {
		snprintf(buf, sizeof(buf), "%" PRIu32, info->kek_version);
		field("kek version", buf);
	}
	lethe_hex_format(info->ciphertext_sha256, sizeof(info->ciphertext_sha256), sha);
	field("file sha256", sha);
}

int cmd_stat(struct cli *cli, int argc, char **argv)
{
	struct lethe_object_info info;
	struct lethe_object_detail detail;
	enum lethe_err err;
	int rc;

	if ((rc = cli_plain_command(cli, argc, argv, 1, 1, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	cli_id_fold(argv[optind]);
	err = lethe_object_stat(cli->store, argv[optind], &info);
	if (err == LETHE_OK)
		err = lethe_object_detail(cli->store, argv[optind], &detail);
	if (err != LETHE_OK)
		return cli_fail(cli, argv[optind], err);
	if (cli->json)
		return cli_json_print(cli, cli_json_object_info(&info, &detail));
	print_info(&info, &detail);
	return EXIT_OK;
}

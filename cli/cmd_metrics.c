/*
 * cmd_metrics.c - `lethe metrics [--output FILE]`: the store's figures in the Prometheus text
 * format, for node_exporter's textfile collector.
 */
#include <unistd.h>

#include "cli.h"

enum { OPT_OUTPUT = OPT_COMMAND_FIRST };

const struct cli_help cmd_metrics_help = {
    .usage = "lethe metrics [--output FILE]",
    .summary = "write the store's metrics for Prometheus (node_exporter textfile)",
    .details = "  --output FILE  write FILE atomically (e.g. .../textfile/lethe.prom) instead of\n"
	       "                 standard output\n",
};

int cmd_metrics(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, OPT_OUTPUT},
	    CLI_COMMON_LONGOPTS,
	};
	const char *output = NULL;
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1) {
		if (c == OPT_OUTPUT)
			output = optarg;
	}
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	/* The library writes to the descriptor directly: nothing of ours may sit in stdio. */
	fflush(stdout);
	err = lethe_metrics_write(cli->store, output, output == NULL ? STDOUT_FILENO : -1);
	if (err != LETHE_OK)
		return cli_fail(cli, output, err);
	return EXIT_OK;
}

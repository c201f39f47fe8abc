/*
 * cmd_put.c - `lethe put`: store a file (or stdin) as a new object and print its id alone,
 * so that `id=$(lethe put FILE)` works.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_GROUP = OPT_COMMAND_FIRST, OPT_NAME };

const struct cli_help cmd_put_help = {
    .usage = "lethe put [--group G] [--name NAME] [FILE|-]",
    .summary = "store a file as a new object; prints its id",
    .details = "Encrypt FILE (or stdin) into a new object and print its id alone on stdout.\n"
	       "  --group G     its retention group (default: \"default\")\n"
	       "  --name NAME   its name (default: FILE's base name; none from stdin)\n",
};

/*
 * The object is stored (and audited) by now; only its id is still to reach the caller. If
 * stdout cannot take it (closed, a full disk, a pipe whose reader left), the caller has no id:
 * exit 1, but name the id on stderr, so that a script or an operator can still find the object
 * rather than store the file again. The unwritten output is dropped, so that the check of
 * stdout at exit does not report the same failure twice.
 */
static int id_lost(struct cli *cli, const char *id, int errno_value)
{
	return cli_error(cli, NULL, EXIT_ERROR, "stored as %s, but could not print the id: %s", id,
			 strerror(errno_value));
}

static int id_printed(struct cli *cli, const char *id)
{
	int e;

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return EXIT_OK;
	e = errno != 0 ? errno : EIO;
	__fpurge(stdout);
	clearerr(stdout);
	return id_lost(cli, id, e);
}

int cmd_put(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"name", required_argument, NULL, OPT_NAME},
	    CLI_COMMON_LONGOPTS,
	};
	const char *group = NULL, *name = NULL, *file = NULL;
	char id[LETHE_ID_LEN + 1];
	struct stat st;
	enum lethe_err err;
	int c, rc, fd = STDIN_FILENO;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1) {
		switch (c) {
		case OPT_GROUP:
			group = optarg;
			break;
		case OPT_NAME:
			name = optarg;
			break;
		}
	}
	if ((rc = cli_args(cli, argc, argv, 0, 1, CLI_NO_STORE)) != CLI_CONTINUE)
		return rc;
	if (optind < argc && strcmp(argv[optind], "-") != 0)
		file = argv[optind];
	/* `lethe put` typed alone would sit waiting for a terminal's input: say why instead. */
	if (optind == argc && isatty(STDIN_FILENO))
		return cli_usage_error(cli, "give a FILE, or '-' to read the object from stdin");

	if (file != NULL) {
		fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return cli_error(cli, file, EXIT_ERROR, "%s", strerror(errno));
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			return cli_error(cli, file, EXIT_ERROR, "%s", strerror(EISDIR));
		}
		if (name == NULL) {
			const char *slash = strrchr(file, '/');
			name = slash != NULL ? slash + 1 : file;
		}
	}

	if ((rc = cli_open(cli, CLI_SERVICE)) != EXIT_OK)
		goto out;
	err = lethe_object_put_fd(cli->store, fd, group, name, id);
	cli_progress_done();
	if (err != LETHE_OK) {
		rc = cli_fail(cli, file != NULL ? file : "stdin", err);
		goto out;
	}
	if (cli->json) {
		json_t *o = json_object();
		if (cli_json_set(o, "id", json_string(id)) != 0) {
			json_decref(o);
			rc = id_lost(cli, id, ENOMEM);
			goto out;
		}
		cli_json_print(cli, o);
	} else {
		printf("%s\n", id);
	}
	rc = id_printed(cli, id);
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

/*
 * cmd_get.c - `lethe get`: write an object's plaintext (or a byte range of it) to stdout or
 * to a file.
 *
 * With -o FILE the plaintext goes to a private temporary file in FILE's directory, which is
 * renamed over FILE only once the whole range has been verified and written: a failed or
 * interrupted get leaves no file, and never a partly written one under FILE's name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_OFFSET = OPT_COMMAND_FIRST, OPT_LENGTH };

const struct cli_help cmd_get_help = {
    .usage = "lethe get ID [-o FILE] [--offset N] [--length N]",
    .summary = "write an object's plaintext to stdout or FILE",
    .details = "Write verified plaintext only. With -o, FILE appears (0600) only once the whole\n"
	       "range has verified; a failed get leaves no file.\n"
	       "  -o, --output FILE  write to FILE instead of stdout\n"
	       "  --offset N         start at byte N (default 0)\n"
	       "  --length N         at most N bytes (default: to the end)\n",
};

/* The temporary file in progress, so that a signal can remove it. */
static char temp_path[PATH_MAX];
static volatile sig_atomic_t temp_active;

static void remove_temp_and_die(int sig)
{
	if (temp_active)
		(void) unlink(temp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
#define NCLEANUP_SIGNALS (sizeof(cleanup_signals) / sizeof(cleanup_signals[0]))

/* fsync the directory holding @p path, so that the rename survives a crash. */
static int fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int) (slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Write straight to an existing non-regular file (a device or a FIFO). */
static int get_to_special(struct cli *cli, const char *id, const char *output, uint64_t offset,
			  uint64_t length, uint64_t *written)
{
	enum lethe_err err;
	int fd, rc = EXIT_OK;

	fd = open(output, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cli_error(cli, output, EXIT_ERROR, "%s", strerror(errno));
	err = lethe_object_get_fd(cli->store, id, fd, offset, length, written);
	cli_progress_done();
	if (err != LETHE_OK)
		rc = cli_fail(cli, id, err);
	if (close(fd) != 0 && rc == EXIT_OK)
		rc = cli_error(cli, output, EXIT_ERROR, "%s", strerror(errno));
	return rc;
}

/* Run the get into a temporary file and rename it over @p output on success. */
static int get_to_file(struct cli *cli, const char *id, const char *output, uint64_t offset,
		       uint64_t length, uint64_t *written)
{
	struct sigaction old[NCLEANUP_SIGNALS], sa;
	const char *slash = strrchr(output, '/');
	const char *base = slash != NULL ? slash + 1 : output;
	int dir_len = slash != NULL ? (int) (slash - output) + 1 : 0;
	struct stat st;
	enum lethe_err err;
	int fd, rc = EXIT_OK;

	if (base[0] == '\0')
		return cli_usage_error(cli, "-o needs a file name, not a directory");
	if (stat(output, &st) == 0 && S_ISDIR(st.st_mode))
		return cli_error(cli, output, EXIT_ERROR, "%s", strerror(EISDIR));
	/* a device or FIFO (-o /dev/null, a pipe) is written as it is: renaming a file over it
	 * would replace it */
	if (stat(output, &st) == 0 && !S_ISREG(st.st_mode))
		return get_to_special(cli, id, output, offset, length, written);
	if (snprintf(temp_path, sizeof(temp_path), "%.*s.%s.lethe-XXXXXX", dir_len, output, base) >=
	    (int) sizeof(temp_path))
		return cli_error(cli, output, EXIT_ERROR, "%s", strerror(ENAMETOOLONG));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = remove_temp_and_die;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NCLEANUP_SIGNALS; i++)
		sigaction(cleanup_signals[i], &sa, &old[i]);

	/* mkostemp: O_EXCL, mode 0600 (plaintext is as private as the keys that guard it). */
	fd = mkostemp(temp_path, O_CLOEXEC);
	if (fd < 0) {
		rc = cli_error(cli, output, EXIT_ERROR, "cannot create a temporary file: %s",
			       strerror(errno));
		goto restore;
	}
	temp_active = 1;

	err = lethe_object_get_fd(cli->store, id, fd, offset, length, written);
	cli_progress_done();
	if (err != LETHE_OK) {
		rc = cli_fail(cli, id, err);
	} else if (fsync(fd) != 0) {
		rc = cli_error(cli, output, EXIT_ERROR, "%s", strerror(errno));
	}
	if (close(fd) != 0 && rc == EXIT_OK)
		rc = cli_error(cli, output, EXIT_ERROR, "%s", strerror(errno));
	if (rc == EXIT_OK && rename(temp_path, output) != 0)
		rc = cli_error(cli, output, EXIT_ERROR, "%s", strerror(errno));
	if (rc != EXIT_OK)
		(void) unlink(temp_path);
	temp_active = 0;
	if (rc == EXIT_OK && fsync_parent(output) != 0)
		rc = cli_error(cli, output, EXIT_ERROR, "%s", strerror(errno));
restore:
	for (size_t i = 0; i < NCLEANUP_SIGNALS; i++)
		sigaction(cleanup_signals[i], &old[i], NULL);
	return rc;
}

int cmd_get(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"offset", required_argument, NULL, OPT_OFFSET},
	    {"length", required_argument, NULL, OPT_LENGTH},
	    CLI_COMMON_LONGOPTS,
	};
	const char *output = NULL, *id;
	uint64_t offset = 0, length = LETHE_TO_END, written = 0;
	enum lethe_err err;
	int c, rc;

	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":o:", options, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case OPT_OFFSET:
			if (cli_parse_u64(optarg, &offset) != 0)
				return cli_usage_error(cli, "--offset wants a byte count, not '%s'",
						       optarg);
			break;
		case OPT_LENGTH:
			if (cli_parse_u64(optarg, &length) != 0)
				return cli_usage_error(cli, "--length wants a byte count, not '%s'",
						       optarg);
			break;
		default:
			if ((rc = cli_common_opt(cli, c, argv)) != CLI_CONTINUE)
				return rc;
		}
	}
	if ((rc = cli_operands(cli, argc, argv, 1, 1)) != EXIT_OK)
		return rc;
	id = argv[optind];
	if (output != NULL && strcmp(output, "-") == 0)
		output = NULL;
	if (cli->json && output == NULL)
		return cli_usage_error(cli, "--json needs -o FILE: stdout carries the plaintext");

	if ((rc = cli_open(cli, CLI_SERVICE)) != EXIT_OK)
		return rc;
	if (output == NULL) {
		err = lethe_object_get_fd(cli->store, id, STDOUT_FILENO, offset, length, &written);
		cli_progress_done();
		return err == LETHE_OK ? EXIT_OK : cli_fail(cli, id, err);
	}
	rc = get_to_file(cli, id, output, offset, length, &written);
	if (rc != EXIT_OK || !cli->json)
		return rc;

	json_t *o = json_object();
	int bad = 0;
	bad |= cli_json_set(o, "id", json_string(id));
	bad |= cli_json_set(o, "output", cli_json_str(output));
	bad |= cli_json_set(o, "offset", json_integer((json_int_t) offset));
	bad |= cli_json_set(o, "bytes", json_integer((json_int_t) written));
	if (bad) {
		json_decref(o);
		o = NULL;
	}
	return cli_json_print(cli, o);
}

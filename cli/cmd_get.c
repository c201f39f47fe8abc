/*
 * cmd_get.c - `lethe get`: write an object's plaintext (or a byte range of it) to stdout or
 * to a file.
 *
 * With -o FILE, lethe_object_get_file() puts the plaintext in place of FILE only once the whole
 * range has been verified and written: a failed or interrupted get leaves no file, and never a
 * partly written one under FILE's name.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_OFFSET = OPT_COMMAND_FIRST, OPT_LENGTH };

const struct cli_help cmd_get_help = {
    .usage = "lethe get ID [-o FILE] [--offset N] [--length N]",
    .summary = "write an object's plaintext to stdout or FILE",
    .details = "Write verified plaintext only. With -o, FILE appears (0600) only once the whole\n"
	       "range has verified; a failed get leaves no file.\n"
	       "  -o, --output FILE  write to FILE instead of stdout\n"
	       "  --offset N         start at byte N (default 0); N may be a size: 1MiB\n"
	       "  --length N         at most N bytes (default: to the end); 64KiB, 2GiB\n"
	       "ID may be typed in upper case.\n",
};

/*
 * lethe_object_get_file() starts its detail with the file's name when the file failed, else
 * with the id: name the one that failed.
 */
static const char *failed_name(const char *id, const char *output)
{
	const char *detail = lethe_errdetail();
	size_t len = strlen(output);

	return strncmp(detail, output, len) == 0 && detail[len] == ':' ? output : id;
}

/* Text a terminal shows as text: no control character but tab, newline and carriage return. */
static int is_text(const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((buf[i] < 0x20 && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r') ||
		    buf[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * To a terminal: binary plaintext cannot be read there, and its escape sequences can drive the
 * terminal, so (as age does) the plaintext is held in anonymous memory and printed only if it
 * is text. A pipe, a file, or -o - get it as it is.
 */
static int get_to_terminal(struct cli *cli, const char *id, uint64_t offset, uint64_t length)
{
	unsigned char buf[65536];
	uint64_t written = 0;
	enum lethe_err err;
	int fd, rc = EXIT_OK, text = 1;
	ssize_t n;

	/* the plaintext ends on the terminal: a progress line would be drawn into it */
	lethe_store_set_progress(cli->store, NULL, NULL);
	fd = memfd_create("lethe-get", MFD_CLOEXEC);
	if (fd < 0)
		return cli_error(cli, id, EXIT_ERROR, "memfd_create: %s", strerror(errno));
	err = lethe_object_get_fd(cli->store, id, fd, offset, length, &written);
	cli_progress_done();
	if (err != LETHE_OK) {
		rc = cli_fail(cli, id, err);
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		goto io_error;
	while (text && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0)
			goto io_error;
		text = is_text(buf, (size_t) n);
	}
	if (!text) {
		rc = cli_error(cli, id, EXIT_USAGE,
			       "not writing binary plaintext to a terminal: use -o FILE, a pipe, "
			       "or -o - to write it anyway");
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		goto io_error;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 || write(STDOUT_FILENO, buf, (size_t) n) != n)
			goto io_error;
	}
	goto out;
io_error:
	rc = cli_error(cli, id, EXIT_ERROR, "%s", strerror(errno));
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd); /* the memory file's last reference: its pages go */
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
	const char *output = NULL, *id, *slash;
	int forced = 0; /* -o -: stdout even when it is a terminal */
	uint64_t offset = 0, length = LETHE_TO_END, written = 0;
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":o:", options)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case OPT_OFFSET:
			if (cli_parse_size(optarg, &offset) != 0)
				return cli_usage_error(
				    cli, "--offset wants a byte count or a size (1MiB), not '%s'",
				    optarg);
			break;
		case OPT_LENGTH:
			if (cli_parse_size(optarg, &length) != 0)
				return cli_usage_error(
				    cli, "--length wants a byte count or a size (1MiB), not '%s'",
				    optarg);
			break;
		}
	}
	if ((rc = cli_args(cli, argc, argv, 1, 1, CLI_NO_STORE)) != CLI_CONTINUE)
		return rc;
	cli_id_fold(argv[optind]);
	id = argv[optind];
	if (output != NULL && strcmp(output, "-") == 0) {
		output = NULL;
		forced = 1;
	}
	if (cli->json && output == NULL)
		return cli_usage_error(cli, "--json needs -o FILE: stdout carries the plaintext");

	if ((rc = cli_open(cli, CLI_SERVICE)) != EXIT_OK)
		return rc;
	if (output == NULL && !forced && isatty(STDOUT_FILENO))
		return get_to_terminal(cli, id, offset, length);
	if (output == NULL) {
		/* plaintext on the terminal itself: a progress line would be drawn into it */
		if (isatty(STDOUT_FILENO))
			lethe_store_set_progress(cli->store, NULL, NULL);
		err = lethe_object_get_fd(cli->store, id, STDOUT_FILENO, offset, length, &written);
		cli_progress_done();
		return err == LETHE_OK ? EXIT_OK : cli_fail(cli, id, err);
	}
	slash = strrchr(output, '/');
	if ((slash != NULL ? slash[1] : output[0]) == '\0')
		return cli_usage_error(cli, "-o needs a file name, not a directory");
	err = lethe_object_get_file(cli->store, id, output, offset, length, &written);
	cli_progress_done();
	if (err != LETHE_OK)
		return cli_fail(cli, failed_name(id, output), err);
	if (!cli->json)
		return EXIT_OK;

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

/*
 * main.c - the `lethe` command: global options and the table of commands. Nothing else in cli/
 * calls into this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"

static const struct cli_command commands[] = {
    {"init", cmd_init, &cmd_init_help},
    {"put", cmd_put, &cmd_put_help},
    {"get", cmd_get, &cmd_get_help},
    {"stat", cmd_stat, &cmd_stat_help},
    {"ls", cmd_ls, &cmd_ls_help},
    {"rm", cmd_rm, &cmd_rm_help},
    {"hold", cmd_hold, &cmd_hold_help},
    {"retention", cmd_retention, &cmd_retention_help},
    {"sweep", cmd_sweep, &cmd_sweep_help},
    {"key", cmd_key, &cmd_key_help},
    {"officer", cmd_officer, &cmd_officer_help},
    {"evidence", cmd_evidence, &cmd_evidence_help},
    {"audit", cmd_audit, &cmd_audit_help},
    {"doctor", cmd_doctor, &cmd_doctor_help},
    {"scrub", cmd_scrub, &cmd_scrub_help},
    {"metrics", cmd_metrics, &cmd_metrics_help},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_help(FILE *f)
{
	fprintf(f,
		"usage: lethe [--store DIR] [--config FILE] [--json] [--quiet] COMMAND [ARGS]\n"
		"       lethe --version | --help | help [COMMAND]\n"
		"\n"
		"At-rest encryption and retention: stores files encrypted, keeps each as long as\n"
		"its group's policy says, then crypto-shreds it and writes signed evidence.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help->summary);
	fprintf(
	    f,
	    "\n"
	    "Options (also accepted after the command):\n"
	    "  --store DIR     the store (default: $LETHE_STORE)\n"
	    "  --config FILE   use FILE instead of DIR/lethe.conf (for init: the template)\n"
	    "  --json          print one JSON value on stdout\n"
	    "  -q, --quiet     no progress, notes or warnings on stderr\n"
	    "  --version       print the version\n"
	    "  --help          print this help; `lethe COMMAND --help` for a command\n"
	    "\n"
	    "Exit status: 0 ok, 1 error, 2 usage or config, 3 no such object (or shredded),\n"
	    "4 integrity or authentication failure, 5 refused by policy, 6 permission or unlock\n"
	    "failure. See lethe(1).\n");
}

/* The short usage of a mistake: what the line looks like, and where to read more. */
static void print_short_usage(void)
{
	fprintf(stderr,
		"usage: lethe [--store DIR] [--config FILE] [--json] [--quiet] COMMAND [ARGS]\n"
		"commands:");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(stderr, " %s", commands[i].name);
	fprintf(stderr, "\nRun 'lethe --help' for more, 'lethe COMMAND --help' for a command.\n");
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int help_command(struct cli *cli, int argc, char **argv)
{
	if (argc < 2) {
		print_help(stdout);
		return EXIT_OK;
	}
	const struct cli_command *cmd = find_command(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "lethe: help: unknown command '%s'\n", argv[1]);
		print_short_usage();
		return EXIT_USAGE;
	}
	cli->command = cmd;
	snprintf(cli->name, sizeof(cli->name), "%s", cmd->name);
	return cli_print_help(cli);
}

/*
 * Flush stdout and report a write error (a full disk, a closed pipe the shell ignored): a
 * command whose output was lost has not succeeded.
 */
static int close_stdout(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = errno;
		if (e == EPIPE || cli_stdout_reader_gone())
			cli_broken_pipe = 1;
		if (cli_broken_pipe)
			return code;
		fprintf(stderr, "lethe: writing to stdout: %s\n", strerror(e ? e : EIO));
		return code == EXIT_OK ? EXIT_ERROR : code;
	}
	return code;
}

/*
 * A closed stdin, stdout or stderr would be handed to the next open(): `lethe put - <&-` would
 * then read the store's own files as the object, and output could land in meta.db. Hold each
 * closed one with /dev/null opened the wrong way round, so that using it fails with EBADF
 * just as the closed descriptor would.
 */
static void hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* open() takes the lowest free descriptor: fd itself, the lower ones being held */
		if (open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) != fd)
			_exit(EXIT_ERROR);
	}
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"store", required_argument, NULL, OPT_STORE},
	    {"config", required_argument, NULL, OPT_CONFIG},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"quiet", no_argument, NULL, OPT_QUIET},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct cli cli = {.prog = "lethe"};
	int c;

	/*
	 * Keys pass through this process: never leave them in a core file. liblethe keeps its own
	 * key buffers out of dumps per page, but OpenSSL and libcryptsetup hold key schedules in
	 * ordinary memory, and disabling dumps is a whole-process choice that the library leaves
	 * to the program it runs in: this program makes it. Not dumpable also stops ptrace by
	 * other processes of the same user and core pipes (systemd-coredump). Best effort: a
	 * failure leaves the defaults, and neither call can weaken anything.
	 */
	struct rlimit no_core = {0, 0};
	(void) setrlimit(RLIMIT_CORE, &no_core);
	(void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	hold_std_fds();
	/*
	 * A full pipe (`lethe get ID | head`) and a file size limit (RLIMIT_FSIZE) become EPIPE
	 * and EFBIG from write(): the command then fails with one line and its audit record,
	 * and a put removes its staged file, instead of the process dying half way.
	 */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);

	const char *env_store = getenv("LETHE_STORE");
	if (env_store != NULL && env_store[0] != '\0')
		cli.store_dir = env_store;

	opterr = 0;
	/* '+': stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:hqV", options, NULL)) != -1) {
		switch (c) {
		case OPT_STORE:
			cli.store_dir = optarg;
			break;
		case OPT_CONFIG:
			cli.config = optarg;
			break;
		case OPT_JSON:
			cli.json = 1;
			break;
		case OPT_QUIET:
		case 'q':
			cli.quiet = 1;
			break;
		case 'h':
			print_help(stdout);
			return close_stdout(EXIT_OK);
		case 'V':
			printf("lethe %s\n", lethe_version());
			return close_stdout(EXIT_OK);
		case ':':
			fprintf(stderr, "lethe: option '%s' needs an argument\n", argv[optind - 1]);
			print_short_usage();
			return EXIT_USAGE;
		default:
			if (optopt != 0)
				fprintf(stderr, "lethe: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "lethe: unknown option '%s'\n", argv[optind - 1]);
			print_short_usage();
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "lethe: no command given\n");
		print_short_usage();
		return EXIT_USAGE;
	}

	char **cmd_argv = argv + optind;
	int cmd_argc = argc - optind;
	if (strcmp(cmd_argv[0], "help") == 0)
		return close_stdout(help_command(&cli, cmd_argc, cmd_argv));

	cli.command = find_command(cmd_argv[0]);
	if (cli.command == NULL) {
		fprintf(stderr, "lethe: unknown command '%s'\n", cmd_argv[0]);
		print_short_usage();
		return EXIT_USAGE;
	}
	snprintf(cli.name, sizeof(cli.name), "%s", cli.command->name);

	int code = cli.command->run(&cli, cmd_argc, cmd_argv);
	cli_progress_done();
	/* a read on a snapshot or a full disk stands without its record in meta.db: say so */
	const char *why = NULL;
	unsigned long long unaudited = lethe_store_unaudited(cli.store, &why);
	if (unaudited > 0)
		cli_warn(&cli, "%llu audit record%s not written to meta.db (%s); syslog has %s",
			 unaudited, unaudited == 1 ? "" : "s", why, unaudited == 1 ? "it" : "them");
	lethe_store_close(cli.store);
	cli.store = NULL;
	code = close_stdout(code);
	/*
	 * The reader of stdout left (`lethe ls | head -1`): say nothing and end as git and cat
	 * do, by SIGPIPE (status 141 in a shell), now that the store is closed and the command
	 * audited. A lost put id was reported already, not here.
	 */
	if (cli_broken_pipe) {
		fflush(stderr);
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	return code;
}

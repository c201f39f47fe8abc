/*
 * main.c - the `lethe` command: global options and the table of commands. Nothing else in cli/
 * calls into this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"

static const struct cli_command commands[] = {
    {"init", cmd_init,
     "lethe init [--store DIR] [--keyfile FILE] --officer NAME [--passphrase-file FILE]",
     "create a store (and its service keyfile)",
     "Create the store DIR (absent or empty) with its first security officer.\n"
     "  --keyfile FILE          the service keyfile, created 0600 if absent\n"
     "                          (default: DIR.key, beside the store and outside it)\n"
     "  --officer NAME          the first officer ([A-Za-z0-9._-], at most 31 bytes)\n"
     "  --passphrase-file FILE  the officer's passphrase ('-': stdin); else a prompt\n"
     "With --config FILE, lethe.conf starts from FILE instead of the defaults.\n"},
    {"put", cmd_put, "lethe put [--group G] [--name NAME] [FILE|-]",
     "store a file as a new object; prints its id",
     "Encrypt FILE (or stdin) into a new object and print its id alone on stdout.\n"
     "  --group G     its retention group (default: \"default\")\n"
     "  --name NAME   its name (default: FILE's base name; none from stdin)\n"},
    {"get", cmd_get, "lethe get ID [-o FILE] [--offset N] [--length N]",
     "write an object's plaintext to stdout or FILE",
     "Write verified plaintext only. With -o, FILE appears (0600) only once the whole\n"
     "range has verified; a failed get leaves no file.\n"
     "  -o, --output FILE  write to FILE instead of stdout\n"
     "  --offset N         start at byte N (default 0)\n"
     "  --length N         at most N bytes (default: to the end)\n"},
    {"stat", cmd_stat, "lethe stat ID", "show what is known of an object", NULL},
    {"ls", cmd_ls, "lethe ls [--group G] [--expired] [--all]", "list objects",
     "  --group G   only the objects of group G\n"
     "  --expired   only live objects whose retention is over\n"
     "  -a, --all   shredded objects too\n"},
    {"rm", cmd_rm, "lethe rm ID --reason TEXT [--force [--passphrase-file FILE]]",
     "crypto-shred one object, with a disposal certificate",
     "Destroy the object's data key, write a signed certificate, unlink its file.\n"
     "  --reason TEXT           why (goes into the certificate; required)\n"
     "  --force                 before retain_until: needs an officer; never in a\n"
     "                          locked group, never on hold\n"
     "  --passphrase-file FILE  the officer's passphrase for --force; else a prompt\n"},
    {"hold", cmd_hold,
     "lethe hold set ID|--group G --reason TEXT\n"
     "lethe hold clear ID|--group G [--reason TEXT] [--passphrase-file FILE]",
     "place or clear a legal hold",
     "A held object is never shredded. A group hold also covers objects written later.\n"
     "Clearing a hold takes an officer passphrase; its --reason goes into the audit log.\n"},
    {"retention", cmd_retention, "lethe retention extend ID|--group G --until DATE|--by DURATION",
     "lengthen retention (never shortens)",
     "  --until DATE     YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC); refused if earlier\n"
     "  --by DURATION    Ns, Nm, Nh, Nd or Nw added to each object's retain_until\n"},
    {"sweep", cmd_sweep, "lethe sweep [--dry-run]", "crypto-shred every expired object not on hold",
     "  -n, --dry-run   show what would be shredded and what is kept on hold\n"
     "Exit status 1 when some object could not be shredded.\n"},
    {"key", cmd_key,
     "lethe key list\n"
     "lethe key rotate [--passphrase-file FILE]\n"
     "lethe key rewrap [--passphrase-file FILE]\n"
     "lethe key retire VERSION [--passphrase-file FILE]",
     "list, rotate, rewrap and retire key-encryption keys",
     "rotate makes a new primary KEK; rewrap moves every data key under it; retire\n"
     "destroys an old KEK once no data key uses it. All three need an officer.\n"},
    {"officer", cmd_officer,
     "lethe officer list\n"
     "lethe officer add NAME [--new-passphrase-file FILE] [--passphrase-file FILE]\n"
     "lethe officer remove NAME [--passphrase-file FILE]",
     "list, add and remove security officers",
     "add and remove need an existing officer's passphrase (--passphrase-file or a\n"
     "prompt); add reads the new officer's from --new-passphrase-file or a prompt.\n"
     "The last officer cannot be removed.\n"},
    {"evidence", cmd_evidence,
     "lethe evidence list\n"
     "lethe evidence export DIR\n"
     "lethe evidence verify [DIR]",
     "list, export and verify disposal certificates",
     "export writes each certificate (ID.json, ID.sig), evidence.pub.pem, chain.txt and\n"
     "a README for auditors. verify DIR checks an export without any store or key.\n"},
    {"audit", cmd_audit,
     "lethe audit verify\n"
     "lethe audit export [--since SEQ|TIME]\n"
     "lethe audit checkpoint [DIR]",
     "verify, export and checkpoint the audit log",
     "export writes JSON Lines, from record SEQ or time TIME on. checkpoint signs the\n"
     "newest record (and writes the signature to DIR): keep it elsewhere.\n"},
    {"doctor", cmd_doctor, "lethe doctor [--repair]",
     "check permissions, consistency and leftovers; repair orphans",
     "  --repair   remove orphan files and finish interrupted unlinks\n"
     "Exit status 1 when errors remain (warnings do not count).\n"},
    {"scrub", cmd_scrub, "lethe scrub [--resume] [--limit-rate SIZE] [--max-bytes SIZE]",
     "read every object back and check its hash and every tag",
     "Read each live object's file, check its SHA-256 against the one recorded at put and\n"
     "decrypt it fully (every tag) without writing the plaintext anywhere.\n"
     "  --resume            go on after the last object an unfinished scrub reached\n"
     "  --limit-rate SIZE   read at most SIZE bytes per second (50MiB, 1GiB, 4096)\n"
     "  --max-bytes SIZE    stop once SIZE bytes were read (then --resume goes on)\n"
     "One line on stderr per bad object; exit status 4 when any object is bad.\n"},
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
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(
	    f,
	    "\n"
	    "Options (also accepted after the command):\n"
	    "  --store DIR     the store (default: $LETHE_STORE)\n"
	    "  --config FILE   use FILE instead of DIR/lethe.conf (for init: the template)\n"
	    "  --json          print one JSON value on stdout\n"
	    "  --quiet         no progress, notes or warnings on stderr\n"
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
	while ((c = getopt_long(argc, argv, "+:hV", options, NULL)) != -1) {
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
	lethe_store_close(cli.store);
	cli.store = NULL;
	return close_stdout(code);
}

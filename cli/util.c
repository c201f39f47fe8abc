/*
 * util.c - what every command shares: option and usage handling, error lines, opening the
 * store, officer passphrases (from a file or a terminal prompt, wiped after use), strict
 * number parsing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

/* ---- options and usage ------------------------------------------------------------------ */

void cli_print_usage(const struct cli *cli, FILE *f)
{
	const char *line = cli->command != NULL ? cli->command->help->usage : "lethe COMMAND ...";
	int first = 1;

	while (*line != '\0') {
		const char *end = strchr(line, '\n');
		int n = end != NULL ? (int) (end - line) : (int) strlen(line);
		fprintf(f, "%s%.*s\n", first ? "usage: " : "       ", n, line);
		first = 0;
		line += n;
		if (*line == '\n')
			line++;
	}
}

int cli_print_help(const struct cli *cli)
{
	cli_print_usage(cli, stdout);
	if (cli->command != NULL && cli->command->help->details != NULL)
		printf("\n%s", cli->command->help->details);
	printf("\nCommon options: --store DIR, --config FILE, --json, --quiet. See lethe(1).\n");
	return EXIT_OK;
}

/*
 * With --json an error or warning is one JSON object on one line of stderr (lethe(1), "JSON
 * OUTPUT"), so that a script reads both streams with one parser. False without --json.
 */
static int json_diagnostic(const struct cli *cli, const char *kind, const char *object, int code,
			   const char *msg)
{
	json_t *o;
	int bad = 0;

	if (!cli->json)
		return 0;
	o = json_object();
	bad |= cli_json_set_text(o, kind, msg);
	bad |= cli_json_set(o, "command", json_string(cli->name));
	if (object != NULL && object[0] != '\0')
		bad |= cli_json_set_text(o, "object", object);
	else
		bad |= cli_json_set(o, "object", json_null());
	if (code >= 0)
		bad |= cli_json_set(o, "exit", json_integer(code));
	if (bad) {
		json_decref(o);
		return 0; /* out of memory: the plain line still says it */
	}
	json_dumpf(o, stderr, JSON_COMPACT);
	fputc('\n', stderr);
	json_decref(o);
	return 1;
}

int cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (cli->json) {
		char msg[1024];
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		if (json_diagnostic(cli, "error", NULL, EXIT_USAGE, msg))
			return EXIT_USAGE;
	}
	fprintf(stderr, "%s: %s: ", cli->prog, cli->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_print_usage(cli, stderr);
	return EXIT_USAGE;
}

/*
 * Handle what getopt_long() returned that the command does not know itself: a common option
 * (CLI_CONTINUE), --help (prints the usage, returns EXIT_OK), an unknown option or a missing
 * argument (reports it with the usage, returns EXIT_USAGE).
 */
static int common_opt(struct cli *cli, int c, char **argv)
{
	switch (c) {
	case OPT_STORE:
		cli->store_dir = optarg;
		return CLI_CONTINUE;
	case OPT_CONFIG:
		cli->config = optarg;
		return CLI_CONTINUE;
	case OPT_JSON:
		cli->json = 1;
		return CLI_CONTINUE;
	case OPT_QUIET:
		cli->quiet = 1;
		return CLI_CONTINUE;
	case OPT_PASSPHRASE_FILE:
		cli->passphrase_file = optarg;
		return CLI_CONTINUE;
	case OPT_OFFICER_NAME:
		cli->officer = optarg;
		return CLI_CONTINUE;
	case OPT_HELP:
		return cli_print_help(cli);
	case ':':
		return cli_usage_error(cli, "option '%s' needs an argument", argv[optind - 1]);
	default:
		/* -h is help and -q is --quiet everywhere, without every command listing them. */
		if (optopt == 'h')
			return cli_print_help(cli);
		if (optopt == 'q') {
			cli->quiet = 1;
			return CLI_CONTINUE;
		}
		/* '?': getopt leaves a short option in optopt, a long one only in argv. */
		if (optopt > 0 && optopt < 0x100)
			return cli_usage_error(cli, "unknown option '-%c'", optopt);
		return cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
	}
}

int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
	       const struct option *options)
{
	int c, rc;

	if (!cli->parsing) {
		/* optind = 0 makes glibc's getopt reinitialise (it keeps state between argv vectors) */
		optind = 0;
		opterr = 0;
		cli->parsing = 1;
		cli->stop = CLI_CONTINUE;
	}
	while ((c = getopt_long(argc, argv, shortopts, options, NULL)) != -1) {
		/* the command's own: its short options, and its long-only codes */
		if (c != ':' && c != '?' && (c < OPT_STORE || c >= OPT_COMMAND_FIRST))
			return c;
		rc = common_opt(cli, c, argv);
		if (rc != CLI_CONTINUE) {
			cli->stop = rc;
			break;
		}
	}
	cli->parsing = 0;
	return -1;
}

int cli_args(struct cli *cli, int argc, char **argv, int min, int max, enum cli_role role)
{
	int n = argc - optind, rc;

	if (cli->stop != CLI_CONTINUE)
		return cli->stop;
	if (n < min)
		return cli_usage_error(cli, "missing operand");
	if (n > max)
		return cli_usage_error(cli, "unexpected operand '%s'", argv[optind + max]);
	if (role != CLI_NO_STORE && (rc = cli_open(cli, role)) != EXIT_OK)
		return rc;
	return CLI_CONTINUE;
}

int cli_plain_command(struct cli *cli, int argc, char **argv, int min, int max, enum cli_role role)
{
	static const struct option options[] = {
	    CLI_COMMON_LONGOPTS,
	};

	/* no option of its own: the first call parses them all */
	(void) cli_getopt(cli, argc, argv, ":", options);
	return cli_args(cli, argc, argv, min, max, role);
}

int cli_id_or_group(struct cli *cli, int argc, char **argv, const char *group, const char **id)
{
	int rc = cli_args(cli, argc, argv, 0, group != NULL ? 0 : 1, CLI_NO_STORE);

	if (rc != CLI_CONTINUE)
		return rc;
	if (group == NULL && optind == argc)
		return cli_usage_error(cli, "give an object ID or --group G");
	if (group == NULL)
		cli_id_fold(argv[optind]);
	*id = group == NULL ? argv[optind] : NULL;
	return CLI_CONTINUE;
}

int cli_dispatch_sub(struct cli *cli, int argc, char **argv, const struct cli_subcommand *subs)
{
	if (argc < 2)
		return cli_usage_error(cli, "missing subcommand");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cli_print_help(cli);
	for (const struct cli_subcommand *sub = subs; sub->name != NULL; sub++) {
		if (strcmp(sub->name, argv[1]) == 0) {
			snprintf(cli->name, sizeof(cli->name), "%s %s", cli->command->name,
				 sub->name);
			return sub->run(cli, argc - 1, argv + 1);
		}
	}
	return cli_usage_error(cli, "unknown subcommand '%s'", argv[1]);
}

/* ---- error lines ------------------------------------------------------------------------ */

/* Print @p text on stderr on one line, without control characters from file names or ids. */
static void put_sanitized(const char *text)
{
	char buf[2048];

	cli_sanitize(text, buf, sizeof(buf));
	fputs(buf, stderr);
}

static void error_prefix(const struct cli *cli, const char *object)
{
	fprintf(stderr, "%s: %s", cli->prog, cli->name);
	if (object != NULL && object[0] != '\0') {
		fputc(' ', stderr);
		put_sanitized(object);
	}
	fputs(": ", stderr);
}

int cli_error(const struct cli *cli, const char *object, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	cli_progress_done();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_diagnostic(cli, "error", object, code, msg))
		return code;
	error_prefix(cli, object);
	put_sanitized(msg);
	fputc('\n', stderr);
	return code;
}

int cli_broken_pipe;

int cli_stdout_reader_gone(void)
{
	struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return 0;
	/* the write end of a pipe whose readers are all gone polls as POLLERR (a socket: HUP) */
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

int cli_fail(const struct cli *cli, const char *object, enum lethe_err err)
{
	const char *detail = lethe_errdetail();

	/*
	 * A write to stdout failed because its reader left (`lethe audit export | head`): that
	 * is how such a pipeline ends, not an error to report; main() ends by SIGPIPE.
	 */
	if (err == LETHE_ERR_IO && detail != NULL && strstr(detail, strerror(EPIPE)) != NULL &&
	    cli_stdout_reader_gone()) {
		cli_progress_done();
		cli_broken_pipe = 1;
		return EXIT_ERROR;
	}

	if (detail == NULL || detail[0] == '\0')
		detail = lethe_strerror(err);
	/* "lethe: evidence verify D: D: not an evidence directory" says D once too often. */
	if (object != NULL && object[0] != '\0') {
		size_t len = strlen(object);
		if (strncmp(detail, object, len) == 0 && detail[len] == ':' &&
		    detail[len + 1] == ' ')
			detail += len + 2;
	}
	return cli_error(cli, object, cli_exit_code(err), "%s", detail);
}

void cli_warn(const struct cli *cli, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (cli->quiet)
		return;
	cli_progress_done();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_diagnostic(cli, "warning", NULL, -1, msg))
		return;
	fprintf(stderr, "%s: %s: warning: ", cli->prog, cli->name);
	put_sanitized(msg);
	fputc('\n', stderr);
}

/* ---- the store -------------------------------------------------------------------------- */

/* Tries of an officer passphrase typed at a terminal, as cryptsetup allows. */
#define CLI_PASSPHRASE_TRIES 3

static int passphrase_typed(const char *path);
static void passphrase_retry_note(const char *detail);

int cli_store_dir(const struct cli *cli, const char **dir)
{
	*dir = cli->store_dir;
	if (*dir == NULL || (*dir)[0] == '\0')
		return cli_usage_error(cli, "no store given: use --store DIR or set LETHE_STORE");
	return EXIT_OK;
}

int cli_open(struct cli *cli, enum cli_role role)
{
	struct cli_secret passphrase = {0};
	struct lethe_open_opts opts = {0};
	const char *dir;
	char what[96];
	enum lethe_err err;
	int rc;

	rc = cli_store_dir(cli, &dir);
	if (rc != EXIT_OK)
		return rc;
	opts.dir = dir;
	opts.config = cli->config;
	if (cli->officer != NULL)
		snprintf(what, sizeof(what), "passphrase of officer %s", cli->officer);
	else
		snprintf(what, sizeof(what), "officer passphrase");
	for (int attempt = 1;; attempt++) {
		if (role == CLI_OFFICER) {
			rc = cli_passphrase_read(cli, cli->passphrase_file, what, 0, &passphrase);
			if (rc != EXIT_OK)
				return rc;
			opts.passphrase = passphrase.buf;
			opts.passphrase_len = passphrase.len;
		}
		err = role == CLI_OFFICER && cli->officer != NULL
			  ? lethe_store_open_officer(&opts, cli->officer, &cli->store)
			  : lethe_store_open(&opts, &cli->store);
		cli_secret_free(&passphrase);
		/* a typo at the terminal is asked again; a wrong file or pipe fails at once */
		if (err == LETHE_ERR_UNLOCK && role == CLI_OFFICER &&
		    attempt < CLI_PASSPHRASE_TRIES && passphrase_typed(cli->passphrase_file)) {
			passphrase_retry_note(lethe_errdetail());
			continue;
		}
		break;
	}
	if (err != LETHE_OK)
		return cli_fail(cli, dir, err);
	if (!cli->quiet && isatty(STDERR_FILENO))
		lethe_store_set_progress(cli->store, cli_progress_cb, NULL);
	return EXIT_OK;
}

/* ---- passphrases ------------------------------------------------------------------------ */

/*
 * Longest passphrase read. LUKS2 takes longer ones, but a passphrase typed or kept in a file
 * is far shorter; anything longer is more likely the wrong file.
 */
#define CLI_PASSPHRASE_MAX 4096

/* Two passphrases compared in time that does not depend on where they differ (cli/ does not
 * link OpenSSL's CRYPTO_memcmp). */
static bool secret_equal(const char *a, const char *b, size_t len)
{
	volatile unsigned char diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char) (a[i] ^ b[i]);
	return diff == 0;
}

static int secret_alloc(struct cli_secret *secret)
{
	/* One byte more than the maximum, to tell "exactly the maximum" from "too long". */
	secret->cap = CLI_PASSPHRASE_MAX + 1;
	secret->len = 0;
	secret->buf = calloc(1, secret->cap);
	if (secret->buf == NULL)
		return -1;
	/* Keep it out of swap where we may; failing that (RLIMIT_MEMLOCK) is not fatal. */
	(void) mlock(secret->buf, secret->cap);
	return 0;
}

void cli_secret_free(struct cli_secret *secret)
{
	if (secret->buf != NULL) {
		explicit_bzero(secret->buf, secret->cap);
		(void) munlock(secret->buf, secret->cap);
		free(secret->buf);
	}
	secret->buf = NULL;
	secret->len = 0;
	secret->cap = 0;
}

/*
 * The option that named @p path: a missing or unreadable file is reported with it, since a
 * command may read two (officer add: the authorizing officer's and the new officer's).
 */
static const char *passphrase_option(const struct cli *cli, const char *path)
{
	return path == cli->passphrase_file ? "--passphrase-file" : "--new-passphrase-file";
}

static int passphrase_from_file(const struct cli *cli, const char *path, struct cli_secret *secret)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	const char *option = passphrase_option(cli, path);
	int rc = EXIT_OK;

	if (fd < 0)
		return cli_error(cli, NULL, EXIT_ERROR, "%s %s: %s", option, path, strerror(errno));
	while (secret->len < secret->cap) {
		ssize_t n = read(fd, secret->buf + secret->len, secret->cap - secret->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = cli_error(cli, NULL, EXIT_ERROR, "%s %s: %s", option, path,
				       strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		secret->len += (size_t) n;
	}
	if (secret->len > CLI_PASSPHRASE_MAX) {
		rc = cli_error(cli, NULL, EXIT_USAGE,
			       "%s %s: passphrase file is longer than %d bytes", option, path,
			       CLI_PASSPHRASE_MAX);
		goto out;
	}
	/* Files written by `echo` or an editor end in a newline that is not part of it. */
	if (secret->len > 0 && secret->buf[secret->len - 1] == '\n')
		secret->len--;
	if (secret->len == 0)
		rc = cli_error(cli, NULL, EXIT_USAGE, "%s %s: passphrase file is empty", option,
			       path);
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

/*
 * New officer passphrases (init, officer add, officer passwd) need at least
 * CLI_PASSPHRASE_MIN_CHARS characters, CLI_PASSPHRASE_MIN_DISTINCT of them different. A
 * length is what NIST SP 800-63B asks of a memorized secret (no composition rules); the count
 * of different characters refuses "aaaaaaaaaaaa" and "121212121212". lethe(1) documents it.
 */
#define CLI_PASSPHRASE_MIN_CHARS    12
#define CLI_PASSPHRASE_MIN_DISTINCT 5
/* Why @p secret is too weak for a new officer passphrase (written to @p why), or NULL. */
static const char *passphrase_weakness(const struct cli_secret *secret, char *why, size_t len)
{
	uint32_t seen[CLI_PASSPHRASE_MIN_DISTINCT];
	size_t chars = 0, distinct = 0, i = 0, j;
	const char *reason = NULL;

	while (i < secret->len) {
		/* a character is a byte and the UTF-8 continuation bytes (10xxxxxx) after it */
		uint32_t c = (unsigned char) secret->buf[i++];
		while (i < secret->len && ((unsigned char) secret->buf[i] & 0xC0) == 0x80)
			c = (c << 8) ^ (unsigned char) secret->buf[i++];
		chars++;
		for (j = 0; j < distinct && seen[j] != c; j++)
			;
		if (j == distinct && distinct < CLI_PASSPHRASE_MIN_DISTINCT)
			seen[distinct++] = c;
	}
	explicit_bzero(seen, sizeof(seen));
	if (chars < CLI_PASSPHRASE_MIN_CHARS) {
		snprintf(why, len, "it has %zu character%s, at least %d are needed", chars,
			 chars == 1 ? "" : "s", CLI_PASSPHRASE_MIN_CHARS);
		reason = why;
	} else if (distinct < CLI_PASSPHRASE_MIN_DISTINCT) {
		snprintf(why, len, "it has only %zu different characters, at least %d are needed",
			 distinct, CLI_PASSPHRASE_MIN_DISTINCT);
		reason = why;
	}
	return reason;
}

/*
 * The terminal while echo is off: its descriptor, its settings before and during, so that a
 * signal handler can put it back.
 */
static struct termios saved_termios, quiet_termios;
static volatile sig_atomic_t termios_fd = -1;
static volatile sig_atomic_t termios_saved;

/*
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT: echo back on, then die of the signal as if not caught.
 * SIGTSTP (^Z): echo back on while stopped, off again once continued.
 */
static void terminal_signal(int sig)
{
	int saved_errno = errno;
	struct sigaction dfl, old;
	sigset_t set, oldset;

	if (termios_saved)
		(void) tcsetattr(termios_fd, TCSAFLUSH, &saved_termios);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	if (sig != SIGTSTP) {
		sigaction(sig, &dfl, NULL);
		raise(sig); /* delivered when this handler returns: the signal is blocked in it */
		errno = saved_errno;
		return;
	}
	sigaction(SIGTSTP, &dfl, &old);
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &set, &oldset);
	raise(SIGTSTP); /* stops here until SIGCONT */
	sigprocmask(SIG_SETMASK, &oldset, NULL);
	sigaction(SIGTSTP, &old, NULL);
	if (termios_saved)
		(void) tcsetattr(termios_fd, TCSAFLUSH, &quiet_termios);
	errno = saved_errno;
}

static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
#define NPROMPT_SIGNALS (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

static void terminal_write(int fd, const char *text)
{
	size_t len = strlen(text);

	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		len -= (size_t) n;
	}
}

/*
 * Read one line from the terminal @p fd with echo off, restoring it on every way out (signals
 * included). 0 ok, -1 error (errno), 1 EOF.
 */
static int prompt_line(int fd, const char *prompt, struct cli_secret *secret)
{
	struct sigaction old[NPROMPT_SIGNALS], sa;
	int rc = 0, saved_errno;

	if (tcgetattr(fd, &saved_termios) != 0)
		return -1;
	quiet_termios = saved_termios;
	quiet_termios.c_lflag &= ~(tcflag_t) (ECHO | ECHOE | ECHOK);
	quiet_termios.c_lflag |= ICANON | ECHONL;
	termios_fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = terminal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NPROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &sa, &old[i]);
	termios_saved = 1;
	if (tcsetattr(fd, TCSAFLUSH, &quiet_termios) != 0) {
		rc = -1;
		goto out;
	}
	terminal_write(fd, prompt);

	secret->len = 0;
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0) {
			rc = secret->len == 0 ? 1 : 0;
			if (rc == 0)
				terminal_write(fd, "\n");
			break;
		}
		if (c == '\n')
			break; /* ECHONL showed the newline */
		if (secret->len < secret->cap)
			secret->buf[secret->len++] = c;
		c = 0;
	}
out:
	saved_errno = errno;
	(void) tcsetattr(fd, TCSAFLUSH, &saved_termios);
	termios_saved = 0;
	for (size_t i = 0; i < NPROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &old[i], NULL);
	errno = saved_errno;
	return rc;
}

/*
 * Whether the passphrase that @p path names is typed: no file, or '-' while stdin is a
 * terminal (README's `init --passphrase-file -`, run by hand).
 */
static int passphrase_typed(const char *path)
{
	return (path == NULL || strcmp(path, "-") == 0) && isatty(STDIN_FILENO);
}

/*
 * The terminal to prompt on: /dev/tty, where the prompt shows even with stderr redirected;
 * stdin when there is no controlling terminal. -1 with errno when neither can be had.
 */
static int terminal_open(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
	return fd;
}

static int check_new_passphrase(const struct cli *cli, const char *what,
				const struct cli_secret *secret)
{
	char why[96];

	if (passphrase_weakness(secret, why, sizeof(why)) == NULL)
		return EXIT_OK;
	return cli_error(cli, NULL, EXIT_USAGE, "the %s is too weak: %s", what, why);
}

/* Prompt on the terminal @p fd (twice, after the strength check, when @p is_new). */
static int passphrase_prompt(const struct cli *cli, int fd, const char *what, int is_new,
			     struct cli_secret *secret)
{
	struct cli_secret again = {0};
	char prompt[128];
	int rc;

	snprintf(prompt, sizeof(prompt), "Enter %s: ", what);
	rc = prompt_line(fd, prompt, secret);
	if (rc != 0)
		return cli_error(cli, NULL, EXIT_PERMISSION, "no %s read%s%s", what,
				 rc < 0 ? ": " : "", rc < 0 ? strerror(errno) : "");
	if (secret->len > CLI_PASSPHRASE_MAX)
		return cli_error(cli, NULL, EXIT_USAGE, "%s is longer than %d bytes", what,
				 CLI_PASSPHRASE_MAX);
	if (secret->len == 0)
		return cli_error(cli, NULL, EXIT_USAGE, "empty %s", what);
	if (!is_new)
		return EXIT_OK;
	/* refused before the second entry: retyping a passphrase that cannot be used is lost */
	if ((rc = check_new_passphrase(cli, what, secret)) != EXIT_OK)
		return rc;
	if (secret_alloc(&again) != 0)
		return cli_fail(cli, NULL, LETHE_ERR_NOMEM);
	snprintf(prompt, sizeof(prompt), "Repeat %s: ", what);
	if (prompt_line(fd, prompt, &again) != 0 || again.len != secret->len ||
	    !secret_equal(again.buf, secret->buf, secret->len))
		rc = cli_error(cli, NULL, EXIT_USAGE,
			       "the two entries of the %s differ: nothing was changed", what);
	cli_secret_free(&again);
	return rc;
}

int cli_passphrase_read(const struct cli *cli, const char *path, const char *what, int is_new,
			struct cli_secret *secret)
{
	int rc, fd;

	if (secret_alloc(secret) != 0)
		return cli_fail(cli, NULL, LETHE_ERR_NOMEM);
	if (path != NULL && !passphrase_typed(path)) {
		rc = passphrase_from_file(cli, path, secret);
		if (rc == EXIT_OK && is_new)
			rc = check_new_passphrase(cli, what, secret);
		goto out;
	}
	/*
	 * Only prompt on a terminal: a job with no terminal and no file must fail at once rather
	 * than wait for input that never comes.
	 */
	if (!isatty(STDIN_FILENO)) {
		rc = cli_error(cli, NULL, EXIT_PERMISSION,
			       "the %s is needed: give --passphrase-file FILE or run on a terminal",
			       what);
		goto out;
	}
	fd = terminal_open();
	if (fd < 0) {
		rc = cli_error(cli, NULL, EXIT_PERMISSION, "no %s read: the terminal: %s", what,
			       strerror(errno));
		goto out;
	}
	rc = passphrase_prompt(cli, fd, what, is_new, secret);
	close(fd);
out:
	if (rc != EXIT_OK)
		cli_secret_free(secret);
	return rc;
}

/* After a wrong passphrase typed at the terminal: say so there, before the next prompt. */
static void passphrase_retry_note(const char *detail)
{
	char line[1024];
	int fd = terminal_open();

	if (fd < 0)
		return;
	cli_sanitize(detail, line, sizeof(line));
	terminal_write(fd, line);
	terminal_write(fd, "; try again\n");
	close(fd);
}

/* ---- parsing ---------------------------------------------------------------------------- */

int cli_parse_size(const char *text, uint64_t *value)
{
	/* lethe_size_parse() takes "1MiB" and plain bytes; it too refuses signs and spaces */
	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -1;
	return lethe_size_parse(text, value) == LETHE_OK ? 0 : -1;
}

void cli_id_fold(char *id)
{
	size_t len = strlen(id);

	/* only what is a UUID but for its case: anything else is refused as it was typed */
	if (len != LETHE_ID_LEN || strspn(id, "0123456789abcdefABCDEF-") != len)
		return;
	for (char *p = id; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char) (*p - 'A' + 'a');
}

int cli_parse_u64(const char *text, uint64_t *value)
{
	char *end;
	unsigned long long v;

	/* strtoull accepts leading spaces, a sign (and negates "-1"!): allow digits only. */
	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*value = v;
	return 0;
}

char *cli_abspath(const char *path)
{
	char *cwd, *abs;
	size_t need;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		return NULL;
	while (path[0] == '.' && path[1] == '/') {
		path += 2;
		while (path[0] == '/')
			path++;
	}
	need = strlen(cwd) + 1 + strlen(path) + 1;
	abs = malloc(need);
	if (abs != NULL)
		snprintf(abs, need, "%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", path);
	free(cwd);
	return abs;
}

/*
 * cmd_init.c - `lethe init`: create a store, its service keyfile and its first officer.
 *
 * The keyfile defaults to DIR.key, next to the store directory and outside it: the keyfile and
 * the store are meant to be backed up and handed around separately. Where DIR's parent is not
 * the store account's to write (the packaged layout: /var/lib/lethe under a root-owned
 * /var/lib), it goes to LETHE_KEYFILE_DIR/service.key (/etc/lethe, made for it) instead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_KEYFILE = OPT_COMMAND_FIRST };

const struct cli_help cmd_init_help = {
    .usage = "lethe init [--store DIR] [--keyfile FILE] --officer NAME [--passphrase-file FILE]",
    .summary = "create a store (and its service keyfile)",
    .details = "Create the store DIR (absent or empty) with its first security officer.\n"
	       "  --keyfile FILE          the service keyfile, created 0600 if absent\n"
	       "                          (default: DIR.key, beside the store and outside it;\n"
	       "                          " LETHE_KEYFILE_DIR "/service.key where DIR's parent\n"
	       "                          is not writable)\n"
	       "  --officer NAME          the first officer ([A-Za-z0-9._-], at most 31 bytes)\n"
	       "  --passphrase-file FILE  the officer's passphrase ('-': stdin); else, or when\n"
	       "                          '-' is a terminal, asked twice with echo off\n"
	       "The passphrase needs at least 12 characters, 5 of them different.\n"
	       "With --config FILE, lethe.conf starts from FILE instead of the defaults.\n",
};

/* DIR.key for DIR (trailing slashes dropped), absolute. NULL when out of memory. */
static char *default_keyfile(const char *dir)
{
	size_t len = strlen(dir);
	char *path, *abs;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	path = malloc(len + sizeof(".key"));
	if (path == NULL)
		return NULL;
	memcpy(path, dir, len);
	memcpy(path + len, ".key", sizeof(".key"));
	abs = cli_abspath(path);
	free(path);
	return abs;
}

/* Whether the directory holding @p path (absolute) takes a new file from us. */
static int parent_writable(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *parent = strndup(path, slash > path ? (size_t) (slash - path) : 1);
	int ok = parent != NULL && access(parent, W_OK | X_OK) == 0;

	free(parent);
	return ok;
}

/*
 * The keyfile of a store at @p dir when none is given (a malloc'd absolute path in *keyfile):
 * DIR.key when its directory takes it, else LETHE_KEYFILE_DIR/service.key when that directory
 * does and holds no keyfile yet (never one another store may use). Else a usage error saying
 * why, with EXIT_USAGE; EXIT_OK, or the exit code after reporting.
 */
static int choose_keyfile(const struct cli *cli, const char *dir, char **keyfile)
{
	const char *fallback = LETHE_KEYFILE_DIR "/service.key";
	struct stat st;

	*keyfile = default_keyfile(dir);
	if (*keyfile == NULL)
		return cli_fail(cli, dir, LETHE_ERR_NOMEM);
	if (parent_writable(*keyfile) || access(LETHE_KEYFILE_DIR, W_OK | X_OK) != 0)
		return EXIT_OK; /* DIR.key, or, failing both, the error of creating DIR.key */
	if (lstat(fallback, &st) == 0 || errno != ENOENT)
		return cli_usage_error(cli,
				       "cannot create %s (its directory is not writable) and %s "
				       "exists: give --keyfile FILE",
				       *keyfile, fallback);
	free(*keyfile);
	*keyfile = strdup(fallback);
	return *keyfile != NULL ? EXIT_OK : cli_fail(cli, dir, LETHE_ERR_NOMEM);
}

/* Whether @p path lies inside directory @p dir (both absolute, not resolved). */
static int path_inside(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	return strncmp(path, dir, len) == 0 && path[len] == '/';
}

int cmd_init(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"keyfile", required_argument, NULL, OPT_KEYFILE},
	    CLI_PASSPHRASE_LONGOPT,
	    CLI_COMMON_LONGOPTS,
	};
	struct cli_secret passphrase = {0};
	struct lethe_init_opts opts = {0};
	const char *keyfile_arg = NULL, *officer = NULL, *dir;
	char *keyfile = NULL, *abs_dir = NULL, prompt[96];
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1)
		if (c == OPT_KEYFILE)
			keyfile_arg = optarg;
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_NO_STORE)) != CLI_CONTINUE)
		return rc;
	officer = cli->officer;
	if ((rc = cli_store_dir(cli, &dir)) != EXIT_OK)
		return rc;
	if (officer == NULL)
		return cli_usage_error(cli,
				       "--officer NAME is required (the first security officer)");

	abs_dir = cli_abspath(dir);
	if (keyfile_arg != NULL)
		keyfile = cli_abspath(keyfile_arg);
	else if ((rc = choose_keyfile(cli, dir, &keyfile)) != EXIT_OK)
		goto out;
	if (abs_dir == NULL || keyfile == NULL) {
		rc = cli_fail(cli, dir, LETHE_ERR_NOMEM);
		goto out;
	}
	/* A keyfile inside the store would travel with every copy of the store it unlocks. */
	if (path_inside(keyfile, abs_dir)) {
		rc = cli_usage_error(cli, "the keyfile %s must live outside the store directory",
				     keyfile);
		goto out;
	}

	snprintf(prompt, sizeof(prompt), "passphrase for officer %s", officer);
	rc = cli_passphrase_read(cli, cli->passphrase_file, prompt, 1, &passphrase);
	if (rc != EXIT_OK)
		goto out;

	opts.dir = dir;
	opts.config_template = cli->config;
	opts.keyfile = keyfile;
	opts.officer = officer;
	opts.passphrase = passphrase.buf;
	opts.passphrase_len = passphrase.len;
	err = lethe_store_init(&opts);
	cli_secret_free(&passphrase);
	if (err != LETHE_OK) {
		rc = cli_fail(cli, dir, err);
		goto out;
	}

	if (cli->json) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "store", cli_json_str(abs_dir));
		bad |= cli_json_set(o, "keyfile", cli_json_str(keyfile));
		bad |= cli_json_set(o, "officer", cli_json_str(officer));
		rc = cli_json_reply(cli, o, bad);
	} else {
		char store_s[1024], keyfile_s[1024], officer_s[128];
		cli_sanitize(abs_dir, store_s, sizeof(store_s));
		cli_sanitize(keyfile, keyfile_s, sizeof(keyfile_s));
		cli_sanitize(officer, officer_s, sizeof(officer_s));
		printf("created store %s\n"
		       "  keyfile  %s\n"
		       "  officer  %s\n",
		       store_s, keyfile_s, officer_s);
		if (!cli->quiet)
			fprintf(
			    stderr,
			    "Keep the keyfile 0600 and back it up apart from the store: without\n"
			    "it (or an officer passphrase) nothing in the store can be read.\n");
		rc = EXIT_OK;
	}
out:
	cli_secret_free(&passphrase);
	free(keyfile);
	free(abs_dir);
	return rc;
}

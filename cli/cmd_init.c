/*
 * cmd_init.c - `lethe init`: create a store, its service keyfile and its first officer.
 *
 * The keyfile defaults to DIR.key, next to the store directory and outside it: the keyfile and
 * the store are meant to be backed up and handed around separately.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_KEYFILE = OPT_COMMAND_FIRST, OPT_OFFICER };

const struct cli_help cmd_init_help = {
    .usage = "lethe init [--store DIR] [--keyfile FILE] --officer NAME [--passphrase-file FILE]",
    .summary = "create a store (and its service keyfile)",
    .details = "Create the store DIR (absent or empty) with its first security officer.\n"
	       "  --keyfile FILE          the service keyfile, created 0600 if absent\n"
	       "                          (default: DIR.key, beside the store and outside it)\n"
	       "  --officer NAME          the first officer ([A-Za-z0-9._-], at most 31 bytes)\n"
	       "  --passphrase-file FILE  the officer's passphrase ('-': stdin); else a prompt\n"
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
	    {"officer", required_argument, NULL, OPT_OFFICER},
	    CLI_PASSPHRASE_LONGOPT,
	    CLI_COMMON_LONGOPTS,
	};
	struct cli_secret passphrase = {0};
	struct lethe_init_opts opts = {0};
	const char *keyfile_arg = NULL, *officer = NULL, *dir;
	char *keyfile = NULL, *abs_dir = NULL, prompt[96];
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1) {
		switch (c) {
		case OPT_KEYFILE:
			keyfile_arg = optarg;
			break;
		case OPT_OFFICER:
			officer = optarg;
			break;
		}
	}
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_NO_STORE)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_store_dir(cli, &dir)) != EXIT_OK)
		return rc;
	if (officer == NULL)
		return cli_usage_error(cli,
				       "--officer NAME is required (the first security officer)");

	abs_dir = cli_abspath(dir);
	keyfile = keyfile_arg != NULL ? cli_abspath(keyfile_arg) : default_keyfile(dir);
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

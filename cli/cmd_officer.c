/*
 * cmd_officer.c - `lethe officer list|add|remove|passwd`: security officers are named keyslots
 * of officers.luks. Adding and removing one takes an existing officer's passphrase; the last
 * officer cannot be removed; passwd changes the passphrase of the officer who opens.
 */
#include <string.h>

#include "cli.h"

enum { OPT_NEW_PASSPHRASE_FILE = OPT_COMMAND_FIRST };

const struct cli_help cmd_officer_help = {
    .usage = "lethe officer list\n"
	     "lethe officer add NAME [--new-passphrase-file FILE] [--officer OFFICER] "
	     "[--passphrase-file FILE]\n"
	     "lethe officer remove NAME [--officer OFFICER] [--passphrase-file FILE]\n"
	     "lethe officer passwd [--officer NAME] [--passphrase-file FILE] "
	     "[--new-passphrase-file FILE]",
    .summary = "list, add and remove security officers, change a passphrase",
    .details = "add and remove need an existing officer's passphrase (--passphrase-file or a\n"
	       "prompt); add reads the new officer's from --new-passphrase-file or a prompt.\n"
	       "passwd changes the passphrase of the officer it opens with (the old one, read\n"
	       "as for add and remove) to the one from --new-passphrase-file or a prompt.\n"
	       "A new passphrase needs at least 12 characters, 5 of them different; typed, it\n"
	       "is asked twice. --officer tries only that officer's keyslot.\n"
	       "The last officer cannot be removed.\n",
};

static int add_officer(const struct lethe_officer_info *info, void *ctx)
{
	struct cli_list *list = ctx;
	const char *role = info->officer ? "officer" : "service";

	if (list->array != NULL) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "name", cli_json_str(info->name));
		bad |= cli_json_set(o, "keyslot", json_integer(info->keyslot));
		bad |= cli_json_set(o, "role", json_string(role));
		cli_list_add(list, o, bad, NULL);
		return 0;
	}
	char slot[16];
	snprintf(slot, sizeof(slot), "%d", info->keyslot);
	const char *cells[] = {info->name, slot, role};
	cli_list_add(list, NULL, 0, cells);
	return 0;
}

static int officer_list(struct cli *cli, int argc, char **argv)
{
	static const char *const headers[] = {"NAME", "KEYSLOT", "ROLE"};
	struct cli_list list = {0};
	int rc;

	if ((rc = cli_list_start(cli, argc, argv, &list, 3, headers, "lrl")) != CLI_CONTINUE)
		return rc;
	return cli_list_finish(cli, lethe_officer_list(cli->store, add_officer, &list), &list);
}

/* add and remove: NAME, the authorizing officer's --passphrase-file, add's new passphrase. */
static int officer_change(struct cli *cli, int argc, char **argv, int add)
{
	static const struct option add_options[] = {
	    CLI_PASSPHRASE_LONGOPT,
	    {"new-passphrase-file", required_argument, NULL, OPT_NEW_PASSPHRASE_FILE},
	    CLI_COMMON_LONGOPTS,
	};
	static const struct option remove_options[] = {
	    CLI_PASSPHRASE_LONGOPT,
	    CLI_COMMON_LONGOPTS,
	};
	struct cli_secret passphrase = {0};
	const char *new_file = NULL, *name;
	char what[96];
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", add ? add_options : remove_options)) != -1)
		if (c == OPT_NEW_PASSPHRASE_FILE)
			new_file = optarg;
	if ((rc = cli_args(cli, argc, argv, 1, 1, CLI_NO_STORE)) != CLI_CONTINUE)
		return rc;
	name = argv[optind];
	if (new_file != NULL && cli->passphrase_file != NULL && strcmp(new_file, "-") == 0 &&
	    strcmp(cli->passphrase_file, "-") == 0)
		return cli_usage_error(cli, "only one of the passphrases can come from stdin");

	/* Unlock first: a wrong passphrase should fail before the new one is asked for. */
	if ((rc = cli_open(cli, CLI_OFFICER)) != EXIT_OK)
		return rc;
	if (add) {
		snprintf(what, sizeof(what), "passphrase for the new officer %s", name);
		rc = cli_passphrase_read(cli, new_file, what, 1, &passphrase);
		if (rc != EXIT_OK)
			return rc;
		err = lethe_officer_add(cli->store, name, passphrase.buf, passphrase.len);
		cli_secret_free(&passphrase);
	} else {
		err = lethe_officer_remove(cli->store, name);
	}
	if (err != LETHE_OK)
		return cli_fail(cli, name, err);

	if (cli->json) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "name", cli_json_str(name));
		bad |= cli_json_set(o, add ? "added" : "removed", json_true());
		bad |= cli_json_set(o, "by", cli_json_str(lethe_store_actor(cli->store)));
		return cli_json_reply(cli, o, bad);
	}
	printf("officer %s %s\n", name, add ? "added" : "removed");
	return EXIT_OK;
}

/* passwd: the officer opens with the old passphrase, then gives the new one. */
static int officer_passwd(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    CLI_PASSPHRASE_LONGOPT,
	    {"new-passphrase-file", required_argument, NULL, OPT_NEW_PASSPHRASE_FILE},
	    CLI_COMMON_LONGOPTS,
	};
	struct cli_secret passphrase = {0};
	const char *new_file = NULL, *name;
	char what[96];
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1)
		if (c == OPT_NEW_PASSPHRASE_FILE)
			new_file = optarg;
	if ((rc = cli_args(cli, argc, argv, 0, 0, CLI_NO_STORE)) != CLI_CONTINUE)
		return rc;
	if (new_file != NULL && cli->passphrase_file != NULL && strcmp(new_file, "-") == 0 &&
	    strcmp(cli->passphrase_file, "-") == 0)
		return cli_usage_error(cli, "only one of the passphrases can come from stdin");
	/* the old passphrase first: a wrong one fails before the new one is asked for */
	if ((rc = cli_open(cli, CLI_OFFICER)) != EXIT_OK)
		return rc;
	name = lethe_store_actor(cli->store);
	snprintf(what, sizeof(what), "new passphrase for officer %s", name);
	rc = cli_passphrase_read(cli, new_file, what, 1, &passphrase);
	if (rc != EXIT_OK)
		return rc;
	err = lethe_officer_passwd(cli->store, passphrase.buf, passphrase.len);
	cli_secret_free(&passphrase);
	if (err != LETHE_OK)
		return cli_fail(cli, name, err);
	if (cli->json) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "name", cli_json_str(name));
		bad |= cli_json_set(o, "passphrase_changed", json_true());
		return cli_json_reply(cli, o, bad);
	}
	printf("passphrase of officer %s changed\n", name);
	return EXIT_OK;
}

static int officer_add(struct cli *cli, int argc, char **argv)
{
	return officer_change(cli, argc, argv, 1);
}

static int officer_remove(struct cli *cli, int argc, char **argv)
{
	return officer_change(cli, argc, argv, 0);
}

int cmd_officer(struct cli *cli, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	    {"list", officer_list},     {"add", officer_add}, {"remove", officer_remove},
	    {"passwd", officer_passwd}, {NULL, NULL},
	};
	return cli_dispatch_sub(cli, argc, argv, subs);
}

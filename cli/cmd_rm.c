/*
 * cmd_rm.c - `lethe rm`: crypto-shred one object and print its disposal certificate id.
 * Before retain_until it takes --force and an officer passphrase (never in a locked group).
 */
#include <string.h>

#include "cli.h"

enum { OPT_REASON = OPT_COMMAND_FIRST, OPT_FORCE };

const struct cli_help cmd_rm_help = {
    .usage = "lethe rm ID --reason TEXT [--force [--officer NAME] [--passphrase-file FILE]]",
    .summary = "crypto-shred one object, with a disposal certificate",
    .details = "Destroy the object's data key, write a signed certificate, unlink its file.\n"
	       "  --reason TEXT           why (goes into the certificate; required)\n"
	       "  --force                 before retain_until: needs an officer; never in a\n"
	       "                          locked group, never on hold\n"
	       "  --passphrase-file FILE  the officer's passphrase for --force; else a prompt\n"
	       "  --officer NAME          try only that officer's keyslot\n",
};

int cmd_rm(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"reason", required_argument, NULL, OPT_REASON},
	    {"force", no_argument, NULL, OPT_FORCE},
	    CLI_PASSPHRASE_LONGOPT,
	    CLI_COMMON_LONGOPTS,
	};
	char cert[LETHE_ID_LEN + 1];
	const char *reason = NULL, *id;
	enum lethe_err err;
	int c, rc, force = 0;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1) {
		switch (c) {
		case OPT_REASON:
			reason = optarg;
			break;
		case OPT_FORCE:
			force = 1;
			break;
		}
	}
	if ((rc = cli_args(cli, argc, argv, 1, 1, CLI_NO_STORE)) != CLI_CONTINUE)
		return rc;
	cli_id_fold(argv[optind]);
	id = argv[optind];
	if (reason == NULL || reason[0] == '\0')
		return cli_usage_error(cli,
				       "--reason TEXT is required (it goes into the certificate)");
	if (strlen(reason) > LETHE_REASON_MAX)
		return cli_usage_error(cli, "--reason is longer than %d bytes", LETHE_REASON_MAX);
	if (cli->passphrase_file != NULL && !force)
		return cli_usage_error(cli, "--passphrase-file goes with --force");
	if (cli->officer != NULL && !force)
		return cli_usage_error(cli, "--officer goes with --force");

	/* Only a forced, early shred needs an officer; an expired object the service may shred. */
	if ((rc = cli_open(cli, force ? CLI_OFFICER : CLI_SERVICE)) != EXIT_OK)
		return rc;
	err = lethe_object_rm(cli->store, id, reason, force, cert);
	if (err != LETHE_OK)
		return cli_fail(cli, id, err);

	if (cli->json) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "id", json_string(id));
		bad |= cli_json_set(o, "certificate", json_string(cert));
		bad |= cli_json_set(o, "reason", cli_json_str(reason));
		bad |= cli_json_set(o, "forced", json_boolean(force));
		bad |= cli_json_set(o, "actor", cli_json_str(lethe_store_actor(cli->store)));
		return cli_json_reply(cli, o, bad);
	}
	printf("shredded %s (certificate %s)\n", id, cert);
	return EXIT_OK;
}

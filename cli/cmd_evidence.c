/*
 * cmd_evidence.c - `lethe evidence list|export|verify|prove-name`: the signed disposal
 * certificates, and the opening of one certificate's name commitment.
 *
 * `evidence verify DIR` checks an exported directory with no store and no key: it is what an
 * auditor runs (or does by hand with openssl and sha256sum, as the exported README shows).
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

enum { OPT_PUBKEY = OPT_COMMAND_FIRST, OPT_FINGERPRINT, OPT_SINCE };

const struct cli_help cmd_evidence_help = {
    .usage = "lethe evidence list\n"
	     "lethe evidence export [--since SEQ|TIME|last] DIR\n"
	     "lethe evidence verify [DIR [--pubkey FILE | --fingerprint HEX]]\n"
	     "lethe evidence prove-name ID [NAME]",
    .summary = "list, export and verify disposal certificates",
    .details = "export writes the certificates (certificates.jsonl, certificates.sig), a signed\n"
	       "manifest, evidence.pub.pem and a README for auditors into a new or empty DIR;\n"
	       "--since exports from a seq, a time, or where the last export ended.\n"
	       "verify DIR checks an export without any store or key;\n"
	       "--pubkey FILE or --fingerprint HEX (SHA-256 of the raw public key) pins the key\n"
	       "it must be signed with. export and verify print the key's fingerprint.\n"
	       "prove-name prints the salt of the name commitment of one object or certificate\n"
	       "ID and the openssl command that checks a NAME against the certificate's\n"
	       "name_commit without lethe; given NAME it checks it too (exit 4 if it is not the\n"
	       "name). The salt reveals nothing about other objects.\n",
};

/* ---- list ------------------------------------------------------------------------------- */

struct cert_list {
	struct cli_table *table;
	int json_first;
	int nomem;
	int json;
};

static int add_cert(const struct lethe_cert_info *cert, void *ctx)
{
	struct cert_list *cl = ctx;

	if (cl->json) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "seq", json_integer((json_int_t) cert->seq));
		bad |= cli_json_set(o, "id", json_string(cert->id));
		bad |= cli_json_set(o, "object_id", json_string(cert->object_id));
		bad |= cli_json_set(o, "group", cli_json_str(cert->group));
		bad |= cli_json_set(o, "reason", cli_json_str(cert->reason));
		bad |= cli_json_set(o, "shredded_at", cli_json_time(cert->shredded_at));
		if (bad) {
			json_decref(o);
			cl->nomem = 1;
			return 1;
		}
		cli_json_array_element(o, &cl->json_first);
		return 0;
	}
	char seq[24], when[CLI_TIME_LEN];
	snprintf(seq, sizeof(seq), "%" PRIu64, cert->seq);
	cli_time_short(cert->shredded_at, when, sizeof(when));
	const char *cells[] = {seq, cert->id, cert->object_id, cert->group, cert->reason, when};
	if (cli_table_add(cl->table, cells) != 0) {
		cl->nomem = 1;
		return 1;
	}
	return 0;
}

static int evidence_list(struct cli *cli, int argc, char **argv)
{
	static const char *const headers[] = {"SEQ",   "CERTIFICATE", "OBJECT",
					      "GROUP", "REASON",      "SHREDDED"};
	struct cert_list cl = {.json_first = 1};
	enum lethe_err err;
	int rc;

	if ((rc = cli_plain_command(cli, argc, argv, 0, 0, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	cl.json = cli->json;
	if (cli->json) {
		/* Certificates accumulate forever: stream them rather than hold them. */
		cli_json_array_begin();
		err = lethe_evidence_list(cli->store, add_cert, &cl);
		cli_json_array_end(cl.json_first);
	} else {
		cl.table = cli_table_new(6, headers, "rlllll");
		if (cl.table == NULL)
			return cli_fail(cli, NULL, LETHE_ERR_NOMEM);
		err = lethe_evidence_list(cli->store, add_cert, &cl);
		if (err == LETHE_OK && !cl.nomem && cli_table_rows(cl.table) > 0)
			cli_table_print(cl.table, stdout);
		cli_table_free(cl.table);
	}
	if (err != LETHE_OK)
		return cli_fail(cli, NULL, err);
	if (cl.nomem)
		return cli_fail(cli, NULL, LETHE_ERR_NOMEM);
	return EXIT_OK;
}

/* ---- export ----------------------------------------------------------------------------- */

static int evidence_export(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"since", required_argument, NULL, OPT_SINCE},
	    CLI_COMMON_LONGOPTS,
	};
	char fpr[LETHE_FINGERPRINT_LEN + 1] = "";
	uint64_t count = 0, first = 0, seq;
	int from = LETHE_EXPORT_ALL;
	int64_t since = 0;
	enum lethe_err err;
	const char *dir;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1) {
		if (c != OPT_SINCE)
			continue;
		/* As audit export's: a plain number is a seq, anything else a time; and "last",
		 * where the previous export ended, for a routine incremental export. */
		if (strcmp(optarg, "last") == 0) {
			from = LETHE_EXPORT_SINCE_LAST;
		} else if (cli_parse_u64(optarg, &seq) == 0 && seq <= INT64_MAX) {
			from = LETHE_EXPORT_FROM_SEQ;
			since = (int64_t) seq;
		} else if (lethe_time_parse(optarg, &since) == LETHE_OK) {
			from = LETHE_EXPORT_SINCE;
		} else {
			return cli_usage_error(cli,
					       "--since wants a certificate seq, a time "
					       "(YYYY-MM-DD[THH:MM:SSZ]) or 'last', not '%s'",
					       optarg);
		}
	}
	if ((rc = cli_args(cli, argc, argv, 1, 1, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	dir = argv[optind];
	err = lethe_evidence_export_from(cli->store, dir, from, since, &first, &count);
	if (err == LETHE_OK)
		err = lethe_evidence_fingerprint(cli->store, fpr);
	if (err != LETHE_OK)
		return cli_fail(cli, dir, err);
	if (cli->json) {
		json_t *o = json_object();
		int bad = 0;
		bad |= cli_json_set(o, "dir", cli_json_str(dir));
		bad |= cli_json_set(o, "certificates", json_integer((json_int_t) count));
		bad |= cli_json_set(o, "first_seq", json_integer((json_int_t) first));
		bad |= cli_json_set(o, "last_seq", json_integer((json_int_t) (first + count - 1)));
		bad |= cli_json_set(o, "fingerprint", json_string(fpr));
		return cli_json_reply(cli, o, bad);
	}
	char shown[1024];
	cli_sanitize(dir, shown, sizeof(shown));
	if (count > 0)
		printf("exported %" PRIu64 " certificate%s (seq %" PRIu64 " to %" PRIu64
		       ") to %s\n",
		       count, count == 1 ? "" : "s", first, first + count - 1, shown);
	else
		printf("exported 0 certificates (none after seq %" PRIu64 ") to %s\n", first - 1,
		       shown);
	printf("evidence key fingerprint: %s\n", fpr);
	return EXIT_OK;
}

/* ---- verify ----------------------------------------------------------------------------- */

static int evidence_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
	    {"pubkey", required_argument, NULL, OPT_PUBKEY},
	    {"fingerprint", required_argument, NULL, OPT_FINGERPRINT},
	    CLI_COMMON_LONGOPTS,
	};
	char fpr[LETHE_FINGERPRINT_LEN + 1] = "";
	struct cli_problems p = {.cli = cli};
	const char *pubkey = NULL, *pin = NULL, *dir = NULL;
	uint64_t count = 0;
	enum lethe_err err;
	int c, rc;

	while ((c = cli_getopt(cli, argc, argv, ":", options)) != -1) {
		if (c == OPT_PUBKEY)
			pubkey = optarg;
		else if (c == OPT_FINGERPRINT)
			pin = optarg;
	}
	if ((rc = cli_args(cli, argc, argv, 0, 1, CLI_NO_STORE)) != CLI_CONTINUE)
		return rc;
	if (optind < argc)
		dir = argv[optind];
	if (dir == NULL && (pubkey != NULL || pin != NULL))
		return cli_usage_error(cli,
				       "--pubkey and --fingerprint pin the key of an exported "
				       "directory: the store's own key is bound to its master key");
	if (pubkey != NULL && pin != NULL)
		return cli_usage_error(cli, "give --pubkey or --fingerprint, not both");
	/* An exported directory needs no store and no key: an auditor has neither. */
	if (dir == NULL && (rc = cli_open(cli, CLI_SERVICE)) != EXIT_OK)
		return rc;
	if (cli->json && (p.array = json_array()) == NULL)
		return cli_fail(cli, NULL, LETHE_ERR_NOMEM);
	if (dir != NULL) {
		err = lethe_evidence_verify_dir_pinned(dir, pubkey, pin, cli_problem_cb, &p, &count,
						       fpr);
		if (err == LETHE_OK && pubkey == NULL && pin == NULL)
			cli_warn(cli,
				 "the evidence key is not pinned: compare its fingerprint with "
				 "one obtained independently (--fingerprint HEX)");
	} else {
		/* first: the verification's own error detail must survive for its report */
		if (lethe_evidence_fingerprint(cli->store, fpr) != LETHE_OK)
			fpr[0] = '\0';
		err = lethe_evidence_verify(cli->store, cli_problem_cb, &p, &count);
	}
	if (fpr[0] != '\0')
		p.fingerprint = fpr;
	return cli_verify_report(cli, err, &p, "certificate", "certificates", count, dir);
}

/* ---- prove-name ------------------------------------------------------------------------- */

/* @p name as one single-quoted shell word (' becomes '\''), or NAME when there is none. */
static void print_shell_word(const char *name)
{
	if (!name) {
		fputs("NAME", stdout);
		return;
	}
	putchar('\'');
	for (; *name; name++) {
		if (*name == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*name);
	}
	putchar('\'');
}

static int evidence_prove_name(struct cli *cli, int argc, char **argv)
{
	struct lethe_name_proof proof;
	const char *name;
	enum lethe_err err;
	int rc;

	if ((rc = cli_plain_command(cli, argc, argv, 1, 2, CLI_SERVICE)) != CLI_CONTINUE)
		return rc;
	name = optind + 1 < argc ? argv[optind + 1] : NULL;
	err = lethe_evidence_name_proof(cli->store, argv[optind], name, &proof);
	if (err != LETHE_OK)
		return cli_fail(cli, argv[optind], err);
	printf("object       %s\n", proof.object_id);
	printf("certificate  %s\n",
	       proof.cert_id[0] ? proof.cert_id : "(none: the object is live)");
	printf("name_commit  %s\n", proof.commit);
	printf("salt         %s\n", proof.salt);
	/* the auditor's check, with openssl alone: its output is name_commit in upper case */
	fputs("check        printf '%s' ", stdout);
	print_shell_word(name);
	printf(" | openssl mac -digest SHA256 -macopt hexkey:%s HMAC\n", proof.salt);
	if (proof.matches == 1)
		printf("name         matches\n");
	if (proof.matches == 0)
		return cli_error(cli, argv[optind], EXIT_INTEGRITY,
				 "the name given is not the one its certificate commits to");
	return EXIT_OK;
}

int cmd_evidence(struct cli *cli, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	    {"list", evidence_list},
	    {"export", evidence_export},
	    {"verify", evidence_verify},
	    {"prove-name", evidence_prove_name},
	    {NULL, NULL},
	};
	return cli_dispatch_sub(cli, argc, argv, subs);
}

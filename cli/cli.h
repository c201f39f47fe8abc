/*
 * cli.h - what the files of the `lethe` command share: the invocation state, the option
 * handling common to every command, opening the store, passphrases, output helpers.
 *
 * cli/ is the only part of lethe that prints or exits. It calls include/lethe.h and nothing
 * else (plus libc, and jansson for --json). Its files form layers, each calling only the ones
 * listed before it:
 *   exit.c     enum lethe_err to exit code
 *   output.c   times, text safe for a terminal, tables, JSON values, the progress line
 *   util.c     options and usage, error lines, opening the store, passphrases, parsing
 *   report.c   a command's outcome: one JSON value, a listing, a verification report
 *   cmd_*.c    one command each
 *   main.c     the global options and the table of commands
 */
#ifndef LETHE_CLI_H
#define LETHE_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <lethe.h>

/* ---- exit.c ------------------------------------------------------------------------------ */

/* Exit codes (DESIGN.md, "Command line"); cli_exit_code() maps every enum lethe_err to one. */
#define EXIT_OK         0
#define EXIT_ERROR      1
#define EXIT_USAGE      2
#define EXIT_NO_OBJECT  3
#define EXIT_INTEGRITY  4
#define EXIT_REFUSED    5
#define EXIT_PERMISSION 6

/* The exit code of @p err (one table for all of lethe). */
int cli_exit_code(enum lethe_err err);

/* ---- output.c ---------------------------------------------------------------------------- */

/* Room for a time of cli_time_short() or cli_time_long(), and the columns of a short one. */
#define CLI_TIME_LEN  40
#define CLI_TIME_COLS 22
/*
 * "2026-11-23 12:34 CET": local time with its zone (TZ) when stdout is a terminal, else
 * "2026-11-23 11:34 UTC"; "-" for 0. buf >= CLI_TIME_LEN.
 */
void cli_time_short(int64_t seconds, char *buf, size_t len);
/* As cli_time_short(), with seconds: "2026-11-23 12:34:05 CET". */
void cli_time_long(int64_t seconds, char *buf, size_t len);
/* "in 3 days", "2 hours ago", "now". buf >= 32. */
void cli_time_relative(int64_t seconds, char *buf, size_t len);
/* Copy @p text with control characters and invalid bytes escaped (\xNN), for a terminal. */
void cli_sanitize(const char *text, char *buf, size_t len);

/* A table of text, columns sized to their content, printed with two spaces between them. */
struct cli_table;
struct cli_table *cli_table_new(size_t ncols, const char *const *headers,
				const char *right_aligned /* one 'r' or 'l' per column */);
/* Append a row of ncols cells (copied, sanitized). 0 on success, -1 when out of memory. */
int cli_table_add(struct cli_table *table, const char *const *cells);
void cli_table_print(const struct cli_table *table, FILE *f);
size_t cli_table_rows(const struct cli_table *table);
void cli_table_free(struct cli_table *table);

/* JSON helpers. Strings that are not valid UTF-8 get U+FFFD for each bad byte. */
json_t *cli_json_str(const char *text);
json_t *cli_json_time(int64_t seconds); /* RFC 3339 UTC, or null for 0 */
/* Set @p key of @p object to @p value (stolen); -1 if either is NULL or on failure. */
int cli_json_set(json_t *object, const char *key, json_t *value);
/*
 * As cli_json_set() with cli_json_str(@p text); when @p text is not UTF-8, also KEY_hex with
 * its exact bytes in hex, so that no byte of a name is lost.
 */
int cli_json_set_text(json_t *object, const char *key, const char *text);
/* The object as `stat --json` prints it (lethe(1), "JSON OUTPUT"). */
json_t *cli_json_object_info(const struct lethe_object_info *info,
			     const struct lethe_object_detail *detail);
/* Streaming a JSON array one element per line: begin, element (stolen), end. */
void cli_json_array_begin(void);
void cli_json_array_element(json_t *value, int *first);
void cli_json_array_end(int first);

/* Draw a progress line on stderr (a lethe_progress_fn; set only when stderr is a terminal). */
void cli_progress_cb(const char *what, uint64_t done, uint64_t total, void *ctx);
/* Clear the progress line, if one is shown. */
void cli_progress_done(void);

/* Send stdout through a pager when it is a terminal (lethe(1), "ls"), until finish. */
void cli_pager_start(void);
/* Wait for the pager to end; a pager quit early is not a write error. */
void cli_pager_finish(void);

/* ---- util.c ------------------------------------------------------------------------------ */

/* Returned by the steps of a command's start when it goes on (every exit code is >= 0). */
#define CLI_CONTINUE (-1)

struct cli_command;

/* One invocation of lethe. */
struct cli {
	const char *prog;      /* "lethe" */
	const char *store_dir; /* --store, else $LETHE_STORE, else NULL */
	const char *config;    /* --config */
	int json;              /* --json: stdout is one JSON value */
	int quiet;             /* --quiet: no progress, notes or warnings on stderr */
	const struct cli_command *command;
	char name[48];               /* the command as the user typed it: "get", "key retire" */
	const char *passphrase_file; /* --passphrase-file of officer commands */
	const char *officer;         /* --officer NAME of officer commands: only their keyslot */
	struct lethe_store *store;   /* open store (closed by main) */
	int parsing;                 /* cli_getopt() has started on the command's options */
	int stop; /* where cli_getopt() stopped: the exit code after --help or a usage error */
};

typedef int (*cli_command_fn)(struct cli *cli, int argc, char **argv);

/* A command's usage and help, defined in its cmd_*.c beside the code it describes. */
struct cli_help {
	const char *usage;   /* the lines after "usage: "; may hold several, '\n'-separated */
	const char *summary; /* one line for `lethe --help` */
	const char *details; /* options and notes for `lethe COMMAND --help`, or NULL */
};

/* An entry of main.c's table of commands. */
struct cli_command {
	const char *name;
	cli_command_fn run;
	const struct cli_help *help;
};

/* Long options every command accepts (after its own), and their codes. */
enum {
	OPT_STORE = 0x100,
	OPT_CONFIG,
	OPT_JSON,
	OPT_QUIET,
	OPT_HELP,
	OPT_PASSPHRASE_FILE,       /* only where listed: CLI_PASSPHRASE_LONGOPT */
	OPT_OFFICER_NAME,          /* likewise */
	OPT_COMMAND_FIRST = 0x200, /* commands number their own long-only options from here */
};
/* clang-format off */
#define CLI_COMMON_LONGOPTS                                     \
	{ "store", required_argument, NULL, OPT_STORE },        \
	{ "config", required_argument, NULL, OPT_CONFIG },      \
	{ "json", no_argument, NULL, OPT_JSON },                \
	{ "quiet", no_argument, NULL, OPT_QUIET },              \
	{ "help", no_argument, NULL, OPT_HELP },                \
	{ NULL, 0, NULL, 0 }
/*
 * --passphrase-file FILE and --officer NAME of the commands that unlock as an officer:
 * cli->passphrase_file, cli->officer.
 */
#define CLI_PASSPHRASE_LONGOPT                                                  \
	{ "passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE },    \
	{ "officer", required_argument, NULL, OPT_OFFICER_NAME }
/* clang-format on */

/* The command's usage on @p f. */
void cli_print_usage(const struct cli *cli, FILE *f);
/* The command's usage, options and notes on stdout (--help); returns EXIT_OK. */
int cli_print_help(const struct cli *cli);

/* "lethe: NAME: <message>" and the command's usage on stderr; returns EXIT_USAGE. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* How cli_open() unlocks the store. */
enum cli_role {
	CLI_SERVICE = 0,  /* the service keyfile named in lethe.conf */
	CLI_OFFICER = 1,  /* an officer passphrase: --passphrase-file, or a prompt on a terminal */
	CLI_NO_STORE = 2, /* for cli_args(): not yet, or not at all */
};

/*
 * getopt_long() over a command's options: @p shortopts starts with ':' (a missing argument is
 * then told from an unknown option), @p options ends with CLI_COMMON_LONGOPTS. Handles the
 * common options itself and returns the command's own one by one, then -1: at the end, or
 * at --help or a usage error (printed), whose exit code cli_args() then returns. The first
 * call starts getopt over.
 */
int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
	       const struct option *options);

/*
 * After cli_getopt(): the exit code where it stopped; else a usage error unless @p min to
 * @p max operands are left; else, unless @p role is CLI_NO_STORE, cli_open() as @p role.
 * CLI_CONTINUE, or the exit code.
 */
int cli_args(struct cli *cli, int argc, char **argv, int min, int max, enum cli_role role);

/* cli_getopt() and cli_args() for a command that takes only the common options. */
int cli_plain_command(struct cli *cli, int argc, char **argv, int min, int max, enum cli_role role);

/*
 * cli_args() for a command on ID|--group G (no store yet): one operand, the object id, unless
 * @p group is set. Sets *id (NULL with a group). CLI_CONTINUE, or the exit code.
 */
int cli_id_or_group(struct cli *cli, int argc, char **argv, const char *group, const char **id);

/*
 * Commands with subcommands (key list, key rotate, ...): find argv[1] in @p subs, set
 * cli->name to "COMMAND SUB" and run it with argv shifted by one.
 */
struct cli_subcommand {
	const char *name;
	cli_command_fn run;
};
int cli_dispatch_sub(struct cli *cli, int argc, char **argv, const struct cli_subcommand *subs);

/*
 * Report a library failure in one line: "lethe: NAME OBJECT: <detail>", where detail is
 * lethe_errdetail() or, when empty, lethe_strerror(err). @p object may be NULL. Returns the
 * exit code of @p err.
 */
int cli_fail(const struct cli *cli, const char *object, enum lethe_err err);

/*
 * Set when a write to stdout failed because its reader left (`lethe ls | head -1`): the failure
 * is not reported, and main() ends the process by SIGPIPE, silently, as git does.
 */
extern int cli_broken_pipe;
/* True when stdout is a pipe or socket that nobody reads any more. */
int cli_stdout_reader_gone(void);

/* "lethe: NAME OBJECT: <message>" on stderr (object may be NULL); returns @p code. */
int cli_error(const struct cli *cli, const char *object, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "lethe: NAME: warning: ..." on stderr unless --quiet. */
void cli_warn(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Open the store (--store or $LETHE_STORE, --config) into cli->store as @p role, and turn on
 * progress reports when stderr is a terminal. An officer passphrase typed at the terminal is
 * asked again after a wrong one, up to three tries. Reports any failure; returns EXIT_OK or the exit
 * code.
 */
int cli_open(struct cli *cli, enum cli_role role);

/* The store directory, or a usage error (EXIT_USAGE after reporting) when there is none. */
int cli_store_dir(const struct cli *cli, const char **dir);

/* A passphrase held in locked memory; cli_secret_free() wipes it. */
struct cli_secret {
	char *buf;
	size_t len;
	size_t cap;
};

/*
 * Read a passphrase from @p path when not NULL (one trailing newline stripped), else (or when
 * @p path is "-" and stdin is a terminal) prompt for it on the terminal with echo off. With
 * no file and no terminal the reply is "the officer passphrase is needed" and
 * EXIT_PERMISSION. @p what names it in the prompt ("officer passphrase"). A new passphrase
 * (@p is_new) must be strong enough (EXIT_USAGE and why, otherwise) and, when typed, is asked
 * twice. Reports failures; returns EXIT_OK or the exit code.
 */
int cli_passphrase_read(const struct cli *cli, const char *path, const char *what, int is_new,
			struct cli_secret *secret);
void cli_secret_free(struct cli_secret *secret);

/* Strict decimal unsigned parse: digits only, no sign, no overflow. 0 on success, -1 if not. */
int cli_parse_u64(const char *text, uint64_t *value);

/*
 * A byte count or a size: "4096", "1MiB", "2GiB" (lethe_size_parse()), no sign or space.
 * 0 on success, -1 if not.
 */
int cli_parse_size(const char *text, uint64_t *value);

/*
 * Fold an object id typed in upper case ("3F1C0A52-...", as some tools print UUIDs) to the
 * lower case lethe stores, in place; anything that is not a UUID but for its case is left
 * as it is, to be refused as malformed.
 */
void cli_id_fold(char *id);

/* An absolute version of @p path (not resolving links) in a malloc'd string; NULL on ENOMEM. */
char *cli_abspath(const char *path);

/* ---- report.c ---------------------------------------------------------------------------- */

/* Print @p value (stolen) on stdout followed by a newline. Returns EXIT_OK or EXIT_ERROR. */
int cli_json_print(const struct cli *cli, json_t *value);
/* A JSON object failed to build: report out of memory. */
int cli_json_nomem(const struct cli *cli);
/*
 * Print @p object (stolen), built with cli_json_set() calls whose results were or'ed into
 * @p bad; when one failed, report out of memory instead. Returns the exit code.
 */
int cli_json_reply(const struct cli *cli, json_t *object, int bad);

/* A listing being built: a JSON array with --json, else a table. */
struct cli_list {
	json_t *array;
	struct cli_table *table;
	int nomem; /* a row was lost: the listing fails rather than print part of it */
};
/*
 * The start of a listing command (only the common options, no operands): parse, open the
 * store with the service key, start @p list with the table's columns. CLI_CONTINUE, or the
 * exit code.
 */
int cli_list_start(struct cli *cli, int argc, char **argv, struct cli_list *list, size_t ncols,
		   const char *const *headers, const char *align);
/* Append a row: @p object (stolen; @p bad as for cli_json_reply()) or else @p cells. */
void cli_list_add(struct cli_list *list, json_t *object, int bad, const char *const *cells);
/*
 * Finish a listing: report @p err or a lost row, else print what was built; frees it.
 * Returns the exit code.
 */
int cli_list_finish(const struct cli *cli, enum lethe_err err, struct cli_list *list);

/* Problems found by lethe_evidence_verify*() and lethe_audit_verify(). */
struct cli_problems {
	struct cli *cli;
	json_t *array; /* --json: [{where, what}] (set it to json_array() first) */
	uint64_t count;
	int nomem;
	const char *fingerprint; /* the evidence key checked under, shown when set */
	/* audit verify: the officer authority (fingerprint, "" when none is pinned) and the first
	 * record whose officer actions are signed; shown when officer_fingerprint is set */
	const char *officer_fingerprint;
	uint64_t officer_from;
};
/* A lethe_problem_fn: one error line on stderr per problem, kept for --json. */
void cli_problem_cb(const char *where, const char *what, void *ctx);
/*
 * Report the outcome of a verification: "N <plural> verified" (or the JSON object with ok,
 * <plural> and problems); returns the exit code. Frees p->array.
 */
int cli_verify_report(struct cli *cli, enum lethe_err err, struct cli_problems *p,
		      const char *singular, const char *plural, uint64_t count, const char *object);

/* ---- cmd_*.c: the commands, one file each ------------------------------------------------ */

/* Each command's entry point, and its help. */
int cmd_init(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_init_help;
int cmd_put(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_put_help;
int cmd_get(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_get_help;
int cmd_stat(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_stat_help;
int cmd_ls(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_ls_help;
int cmd_rm(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_rm_help;
int cmd_hold(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_hold_help;
int cmd_retention(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_retention_help;
int cmd_sweep(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_sweep_help;
int cmd_key(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_key_help;
int cmd_officer(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_officer_help;
int cmd_evidence(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_evidence_help;
int cmd_audit(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_audit_help;
int cmd_doctor(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_doctor_help;
int cmd_metrics(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_metrics_help;
int cmd_scrub(struct cli *cli, int argc, char **argv);
extern const struct cli_help cmd_scrub_help;

#endif

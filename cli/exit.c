/*
 * exit.c - the one table that turns an enum lethe_err into the exit code of the lethe command
 * (DESIGN.md, "Command line"). It calls nothing: main.c, util.c and report.c all use it.
 */
#include "cli.h"

/*
 * A switch with no default: -Wswitch-enum (an error here) catches a code appended to enum
 * lethe_err without an exit code.
 */
int cli_exit_code(enum lethe_err err)
{
	switch (err) {
	case LETHE_OK:
		return EXIT_OK;
	case LETHE_ERR_INTERNAL:
	case LETHE_ERR_NOMEM:
	case LETHE_ERR_IO:
	case LETHE_ERR_NOSPC:
	case LETHE_ERR_BUSY:
	case LETHE_ERR_CRYPTO:
		return EXIT_ERROR;
	case LETHE_ERR_INVALID:
	case LETHE_ERR_CONFIG:
	case LETHE_ERR_EXISTS:
		return EXIT_USAGE;
	case LETHE_ERR_NOT_FOUND:
	case LETHE_ERR_SHREDDED:
		return EXIT_NO_OBJECT;
	case LETHE_ERR_INTEGRITY:
	case LETHE_ERR_DATABASE:
		return EXIT_INTEGRITY;
	case LETHE_ERR_HELD:
	case LETHE_ERR_LOCKED:
	case LETHE_ERR_NOT_EXPIRED:
	case LETHE_ERR_KEK_IN_USE:
	case LETHE_ERR_LAST_OFFICER:
	case LETHE_ERR_SHORTENS:
	case LETHE_ERR_CLOCK:
		return EXIT_REFUSED;
	case LETHE_ERR_PERMISSION:
	case LETHE_ERR_UNLOCK:
	case LETHE_ERR_NOT_OFFICER:
	case LETHE_ERR_KEYSTORE:
		return EXIT_PERMISSION;
	}
	/* Not a value of the enum (a newer library?): a plain error. */
	return EXIT_ERROR;
}

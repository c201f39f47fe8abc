/*
 * output.c - how lethe prints: human sizes and times, tables sized to their content, text made
 * safe for a terminal, JSON through jansson, and a progress line on a terminal (never colour:
 * this output ends up in logs). It reports no failure itself and calls no other file of cli/:
 * util.c and report.c build on it.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---- text ------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence starting at @p s (1..4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		return (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))
			return 0; /* overlong, or a UTF-16 surrogate */
		return 3;
	}
	if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		if ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * Object names are any bytes: printed raw they could move the cursor, rewrite the screen or
 * hide a line of a log. Control characters (C0, DEL, C1) and bytes that are not UTF-8 become
 * \xNN; everything else is kept.
 */
void cli_sanitize(const char *text, char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *) text;
	size_t out = 0;

	if (len == 0)
		return;
	while (*s != '\0') {
		size_t n = utf8_len(s);
		int escape = n == 0 || (n == 1 && (s[0] < 0x20 || s[0] == 0x7f)) ||
			     (n == 2 && s[0] == 0xC2 && s[1] < 0xA0);
		if (escape) {
			size_t count = n == 0 ? 1 : n;
			if (out + 4 * count >= len)
				break;
			for (size_t i = 0; i < count; i++) {
				snprintf(buf + out, len - out, "\\x%02x", s[i]);
				out += 4;
			}
			s += count;
			continue;
		}
		if (out + n >= len)
			break;
		memcpy(buf + out, s, n);
		out += n;
		s += n;
	}
	buf[out] = '\0';
}

/* Columns a sanitized string takes: one per code point (no East Asian wide forms). */
static size_t display_width(const char *text)
{
	size_t width = 0;

	for (const unsigned char *s = (const unsigned char *) text; *s != '\0'; s++)
		if ((*s & 0xC0) != 0x80)
			width++;
	return width;
}

/*
 * Times for people are local, in the zone TZ names (or /etc/localtime), when stdout is a
 * terminal, and UTC otherwise, so that a log or a script reads the same times wherever it
 * runs; each carries its zone either way. JSON is always RFC 3339 UTC.
 */
static int local_times(void)
{
	static int local = -1;

	if (local < 0) {
		local = isatty(STDOUT_FILENO) == 1;
		if (local)
			tzset(); /* localtime_r() need not read TZ itself */
	}
	return local;
}

static void time_format(int64_t seconds, int with_seconds, char *buf, size_t len)
{
	time_t t = (time_t) seconds;
	struct tm tm;
	int local = local_times();
	size_t n;

	/* %Z of a gmtime_r() result is "GMT": say UTC, as the JSON does */
	if (seconds == 0 || (local ? localtime_r(&t, &tm) : gmtime_r(&t, &tm)) == NULL)
		n = 0;
	else if (local)
		n = strftime(buf, len, with_seconds ? "%Y-%m-%d %H:%M:%S %Z" : "%Y-%m-%d %H:%M %Z",
			     &tm);
	else
		n = strftime(buf, len,
			     with_seconds ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d %H:%M UTC", &tm);
	if (n == 0)
		snprintf(buf, len, "-");
}

void cli_time_short(int64_t seconds, char *buf, size_t len)
{
	time_format(seconds, 0, buf, len);
}

void cli_time_long(int64_t seconds, char *buf, size_t len)
{
	time_format(seconds, 1, buf, len);
}

void cli_time_relative(int64_t seconds, char *buf, size_t len)
{
	const int64_t minute = 60, hour = 3600, day = 86400, year = 365 * day;
	int64_t delta = seconds - (int64_t) time(NULL);
	int64_t span = delta < 0 ? -delta : delta;
	const char *unit;
	int64_t n;

	/* Two of a unit before moving up to it: "90 minutes", not "1 hour". */
	if (span < minute) {
		n = span;
		unit = "second";
	} else if (span < 2 * hour) {
		n = span / minute;
		unit = "minute";
	} else if (span < 2 * day) {
		n = span / hour;
		unit = "hour";
	} else if (span < 2 * year) {
		n = span / day;
		unit = "day";
	} else {
		n = span / year;
		unit = "year";
	}
	if (span == 0)
		snprintf(buf, len, "now");
	else if (delta > 0)
		snprintf(buf, len, "in %" PRId64 " %s%s", n, unit, n == 1 ? "" : "s");
	else
		snprintf(buf, len, "%" PRId64 " %s%s ago", n, unit, n == 1 ? "" : "s");
}

/* ---- tables ----------------------------------------------------------------------------- */

struct cli_table {
	size_t ncols;
	const char *const *headers;
	const char *align;
	char **cells; /* nrows * ncols, row-major */
	size_t nrows;
	size_t cap;
};

struct cli_table *cli_table_new(size_t ncols, const char *const *headers, const char *align)
{
	struct cli_table *table = calloc(1, sizeof(*table));

	if (table == NULL)
		return NULL;
	table->ncols = ncols;
	table->headers = headers;
	table->align = align;
	return table;
}

int cli_table_add(struct cli_table *table, const char *const *cells)
{
	if (table->nrows == table->cap) {
		size_t cap = table->cap == 0 ? 16 : table->cap * 2;
		char **grown = realloc(table->cells, cap * table->ncols * sizeof(*grown));
		if (grown == NULL)
			return -1;
		table->cells = grown;
		table->cap = cap;
	}
	char **row = table->cells + table->nrows * table->ncols;
	for (size_t i = 0; i < table->ncols; i++) {
		size_t len = strlen(cells[i]) * 4 + 1; /* room for every byte escaped */
		row[i] = malloc(len);
		if (row[i] == NULL) {
			while (i-- > 0)
				free(row[i]);
			return -1;
		}
		cli_sanitize(cells[i], row[i], len);
	}
	table->nrows++;
	return 0;
}

size_t cli_table_rows(const struct cli_table *table)
{
	return table->nrows;
}

static void print_cell(FILE *f, const char *text, size_t width, char align, int last)
{
	size_t pad = width - display_width(text);

	if (align == 'r')
		fprintf(f, "%*s%s", (int) pad, "", text);
	else if (last)
		fputs(text, f);
	else
		fprintf(f, "%s%*s", text, (int) pad, "");
}

void cli_table_print(const struct cli_table *table, FILE *f)
{
	size_t *width = calloc(table->ncols, sizeof(*width));

	if (width == NULL)
		return;
	for (size_t c = 0; c < table->ncols; c++) {
		width[c] = display_width(table->headers[c]);
		for (size_t r = 0; r < table->nrows; r++) {
			size_t w = display_width(table->cells[r * table->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t r = 0; r <= table->nrows; r++) {
		for (size_t c = 0; c < table->ncols; c++) {
			const char *text =
			    r == 0 ? table->headers[c] : table->cells[(r - 1) * table->ncols + c];
			if (c > 0)
				fputs("  ", f);
			print_cell(f, text, width[c], table->align[c], c + 1 == table->ncols);
		}
		fputc('\n', f);
	}
	free(width);
}

void cli_table_free(struct cli_table *table)
{
	if (table == NULL)
		return;
	for (size_t i = 0; i < table->nrows * table->ncols; i++)
		free(table->cells[i]);
	free(table->cells);
	free(table);
}

/* ---- JSON ------------------------------------------------------------------------------- */

json_t *cli_json_str(const char *text)
{
	json_t *value = json_string(text);

	if (value != NULL)
		return value;
	/* Not UTF-8 (object names are any bytes): JSON cannot carry it, so U+FFFD each bad byte. */
	size_t len = strlen(text);
	char *fixed = malloc(3 * len + 1);
	const unsigned char *s = (const unsigned char *) text;
	size_t out = 0;

	if (fixed == NULL)
		return NULL;
	while (*s != '\0') {
		size_t n = utf8_len(s);
		if (n == 0) {
			memcpy(fixed + out, "\xEF\xBF\xBD", 3);
			out += 3;
			s++;
		} else {
			memcpy(fixed + out, s, n);
			out += n;
			s += n;
		}
	}
	fixed[out] = '\0';
	value = json_string(fixed);
	free(fixed);
	return value;
}

json_t *cli_json_time(int64_t seconds)
{
	char buf[21];

	if (seconds == 0)
		return json_null();
	lethe_time_format(seconds, buf);
	return json_string(buf);
}

int cli_json_set(json_t *object, const char *key, json_t *value)
{
	if (value == NULL)
		return -1;
	if (object == NULL) {
		json_decref(value);
		return -1;
	}
	/* json_object_set_new() takes the reference even when it fails. */
	return json_object_set_new(object, key, value) == 0 ? 0 : -1;
}

/* True when all of @p text is valid UTF-8. */
static int utf8_valid(const char *text)
{
	for (const unsigned char *s = (const unsigned char *) text; *s != '\0';) {
		size_t n = utf8_len(s);
		if (n == 0)
			return 0;
		s += n;
	}
	return 1;
}

int cli_json_set_text(json_t *object, const char *key, const char *text)
{
	int bad = cli_json_set(object, key, cli_json_str(text));

	/* U+FFFD loses the bad bytes: KEY_hex carries the exact bytes beside the readable form */
	if (!bad && !utf8_valid(text)) {
		size_t len = strlen(text);
		char hex_key[64], *hex = malloc(2 * len + 1);
		if (hex == NULL)
			return -1;
		lethe_hex_format(text, len, hex);
		snprintf(hex_key, sizeof(hex_key), "%s_hex", key);
		bad = cli_json_set(object, hex_key, json_string(hex));
		free(hex);
	}
	return bad;
}

json_t *cli_json_object_info(const struct lethe_object_info *info,
			     const struct lethe_object_detail *detail)
{
	char sha[65];
	json_t *o = json_object();
	int bad = 0;

	lethe_hex_format(info->ciphertext_sha256, sizeof(info->ciphertext_sha256), sha);
	bad |= cli_json_set(o, "id", json_string(info->id));
	bad |= cli_json_set_text(o, "group", info->group);
	bad |= cli_json_set_text(o, "name", info->name);
	bad |= cli_json_set(o, "size", json_integer((json_int_t) info->size));
	bad |= cli_json_set(o, "created_at", cli_json_time(info->created_at));
	bad |= cli_json_set(o, "retain_until", cli_json_time(info->retain_until));
	bad |= cli_json_set(o, "hold", json_boolean(info->hold));
	if (info->hold)
		bad |= cli_json_set_text(o, "hold_reason", info->hold_reason);
	else
		bad |= cli_json_set(o, "hold_reason", json_null());
	bad |= cli_json_set(o, "locked", json_boolean(detail->locked));
	bad |= cli_json_set(o, "state",
			    json_string(info->state == LETHE_STATE_SHREDDED ? "shredded" : "live"));
	bad |= cli_json_set(o, "shredded_at", cli_json_time(info->shredded_at));
	bad |= cli_json_set(o, "kek_version",
			    info->kek_version != 0 ? json_integer(info->kek_version) : json_null());
	bad |= cli_json_set(o, "ciphertext_sha256", json_string(sha));
	bad |=
	    cli_json_set(o, "certificate",
			 detail->cert_id[0] != '\0' ? json_string(detail->cert_id) : json_null());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void cli_json_array_begin(void)
{
	fputc('[', stdout);
}

void cli_json_array_element(json_t *value, int *first)
{
	if (value == NULL)
		return;
	fputs(*first ? "\n  " : ",\n  ", stdout);
	json_dumpf(value, stdout, JSON_COMPACT);
	json_decref(value);
	*first = 0;
}

void cli_json_array_end(int first)
{
	fputs(first ? "]\n" : "\n]\n", stdout);
}

/* ---- progress --------------------------------------------------------------------------- */

static struct {
	int shown;
	size_t width;
	struct timespec last;
	char line[160];
} progress;

void cli_progress_cb(const char *what, uint64_t done, uint64_t total, void *ctx)
{
	char label[64], line[160], size[16];
	/* put and get count plaintext bytes; the others count objects */
	int bytes = what != NULL && (strcmp(what, "put") == 0 || strcmp(what, "get") == 0);
	struct timespec now;
	struct winsize ws;
	size_t cols = 80, len;

	(void) ctx;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ms = (int64_t) (now.tv_sec - progress.last.tv_sec) * 1000 +
		     (now.tv_nsec - progress.last.tv_nsec) / 1000000;
	/* At most ten redraws a second: a terminal is slow, and this is called per segment. */
	if (progress.shown && ms < 100 && !(total != 0 && done >= total))
		return;
	progress.last = now;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		cols = ws.ws_col;

	cli_sanitize(what != NULL ? what : "", label, sizeof(label));
	if (total != 0) {
		enum { BAR = 30 };
		char bar[BAR + 1];
		double fraction = done >= total ? 1.0 : (double) done / (double) total;
		size_t filled = (size_t) (fraction * BAR);
		memset(bar, '#', filled);
		memset(bar + filled, '.', BAR - filled);
		bar[BAR] = '\0';
		snprintf(line, sizeof(line), "%s [%s] %3u%%", label, bar,
			 (unsigned) (fraction * 100.0));
	} else if (bytes) {
		lethe_size_format(done, size);
		snprintf(line, sizeof(line), "%s: %s", label, size);
	} else {
		snprintf(line, sizeof(line), "%s: %" PRIu64, label, done);
	}
	/* a put or get counts bytes: say how many, beside the bar */
	if (bytes && total != 0) {
		char of[16];
		size_t used = strlen(line);
		lethe_size_format(done, size);
		lethe_size_format(total, of);
		snprintf(line + used, sizeof(line) - used, "  %s / %s", size, of);
	}
	len = strlen(line);
	if (len >= cols) {
		len = cols - 1;
		line[len] = '\0';
	}
	if (progress.shown && strcmp(line, progress.line) == 0)
		return;
	memcpy(progress.line, line, len + 1);
	fprintf(stderr, "\r%s", line);
	if (progress.width > len)
		fprintf(stderr, "%*s\r%s", (int) (progress.width - len), "", line);
	fflush(stderr);
	progress.width = len;
	progress.shown = 1;
}

void cli_progress_done(void)
{
	if (!progress.shown)
		return;
	fprintf(stderr, "\r%*s\r", (int) progress.width, "");
	fflush(stderr);
	progress.shown = 0;
	progress.width = 0;
}

/* ---- pager ------------------------------------------------------------------------------ */

static struct {
	pid_t pid;
	int saved_stdout;
	void (*saved_sigpipe)(int);
} pager = {.pid = -1, .saved_stdout = -1};

/*
 * As git does: only when stdout is a terminal, through $LETHE_PAGER, else $PAGER, else less;
 * an empty one or "cat" means none. less gets LESS=FRX unless LESS is set, so that a listing
 * that fits on the screen is printed and left there.
 */
void cli_pager_start(void)
{
	const char *cmd = getenv("LETHE_PAGER");
	int fds[2];

	if (!isatty(STDOUT_FILENO) || pager.pid != -1)
		return;
	/* what is paged ends on the terminal: its times are local, decided before stdout
	 * becomes the pager's pipe */
	(void) local_times();
	if (cmd == NULL)
		cmd = getenv("PAGER");
	if (cmd == NULL)
		cmd = "less";
	if (cmd[0] == '\0' || strcmp(cmd, "cat") == 0)
		return;
	fflush(stdout);
	if (pipe(fds) != 0)
		return;
	pager.saved_stdout = dup(STDOUT_FILENO);
	if (pager.saved_stdout < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	pager.pid = fork();
	if (pager.pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		setenv("LESS", "FRX", 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
		_exit(127);
	}
	close(fds[0]);
	if (pager.pid < 0 || dup2(fds[1], STDOUT_FILENO) < 0) {
		/* no pager: print to the terminal as if there were none */
		close(fds[1]);
		close(pager.saved_stdout);
		pager.saved_stdout = -1;
		pager.pid = -1;
		return;
	}
	close(fds[1]);
	/* a pager quit before the end is the reader's choice, not a failed write */
	pager.saved_sigpipe = signal(SIGPIPE, SIG_IGN);
}

void cli_pager_finish(void)
{
	int status;

	if (pager.pid == -1)
		return;
	fflush(stdout);
	/* writes into our own pager fail only because it ended (EPIPE) */
	clearerr(stdout);
	dup2(pager.saved_stdout, STDOUT_FILENO); /* closes the pipe: the pager sees the end */
	close(pager.saved_stdout);
	while (waitpid(pager.pid, &status, 0) < 0 && errno == EINTR)
		;
	signal(SIGPIPE, pager.saved_sigpipe);
	pager.pid = -1;
	pager.saved_stdout = -1;
}

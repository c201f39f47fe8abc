/* syslog.c - forwards audit records to syslog, facility AUTHPRIV, over lethe's own socket (or
 * to a test sink), and formats their key=value lines.
 *
 * liblethe runs inside a host program, which may have called openlog() with its own ident and
 * facility. openlog()/syslog() keep one set of those per process, so a library that calls
 * openlog() relabels the host's later messages. lethe therefore writes RFC 3164 messages to
 * /dev/log itself, as syslog(3) would ("<PRI>Mmm dd hh:mm:ss lethe[PID]: line"), on a socket of
 * its own.
 */
#include "audit/syslog.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_DEFAULT_PATH "/dev/log"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static lt_syslog_sink log_sink;
static void *log_sink_ctx;
/* Guarded by log_lock. */
static char log_path[sizeof(((struct sockaddr_un *) 0)->sun_path)] = LOG_DEFAULT_PATH;
static int log_fd = -1;
static int log_type;

void lt_syslog_set_sink(lt_syslog_sink sink, void *ctx)
{
	pthread_mutex_lock(&log_lock);
	log_sink = sink;
	log_sink_ctx = ctx;
	pthread_mutex_unlock(&log_lock);
}

static void log_disconnect(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

void lt_syslog_set_path(const char *path)
{
	pthread_mutex_lock(&log_lock);
	log_disconnect();
	snprintf(log_path, sizeof(log_path), "%s", path ? path : LOG_DEFAULT_PATH);
	pthread_mutex_unlock(&log_lock);
}

/* A datagram socket as syslog(3) uses, or a stream socket where the daemon listens on one. */
static int log_connect(void)
{
	static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
	struct sockaddr_un addr;
	size_t i;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, log_path, sizeof(addr.sun_path));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		int saved;

		if (fd < 0)
			return -1;
		if (connect(fd, (const struct sockaddr *) &addr, sizeof(addr)) == 0) {
			log_fd = fd;
			log_type = types[i];
			return 0;
		}
		saved = errno;
		close(fd);
		if (saved != EPROTOTYPE)
			return -1;
	}
	return -1;
}

static int log_send_all(const char *msg, size_t len)
{
	while (len > 0) {
		/* MSG_NOSIGNAL: a daemon gone away is an error here, never SIGPIPE in the host. */
		ssize_t n = send(log_fd, msg, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		msg += n;
		len -= (size_t) n;
	}
	return 0;
}

/* Build and send one message; reconnect once when the daemon was restarted. */
static void log_send(int priority, const char *line)
{
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char msg[8192];
	struct tm tm;
	time_t now = time(NULL);
	size_t len;
	int n, attempt;

	/* Local time, as syslog(3) sends it; a fixed month table, whatever the host's locale. */
	if (!localtime_r(&now, &tm))
		memset(&tm, 0, sizeof(tm));
	n = snprintf(msg, sizeof(msg), "<%d>%s %2d %02d:%02d:%02d lethe[%d]: %s", priority,
		     months[tm.tm_mon >= 0 && tm.tm_mon < 12 ? tm.tm_mon : 0], tm.tm_mday,
		     tm.tm_hour, tm.tm_min, tm.tm_sec, (int) getpid(), line);
	if (n < 0)
		return;
	len = (size_t) n < sizeof(msg) ? (size_t) n : sizeof(msg) - 1;
	for (attempt = 0; attempt < 2; attempt++) {
		if (log_fd < 0 && log_connect() != 0)
			return;
		/* a stream daemon separates messages by their NUL */
		if (log_send_all(msg, log_type == SOCK_STREAM ? len + 1 : len) == 0)
			return;
		log_disconnect();
	}
}

void lt_syslog_send(bool enabled, bool security_failure, const char *line)
{
	int priority = LOG_AUTHPRIV | (security_failure ? LOG_WARNING : LOG_INFO);

	if (!enabled || !line)
		return;
	/* The sink is called under the lock so it cannot be swapped out mid-call. */
	pthread_mutex_lock(&log_lock);
	if (log_sink)
		log_sink(priority, line, log_sink_ctx);
	else
		log_send(priority, line);
	pthread_mutex_unlock(&log_lock);
}

/* ---------------------------------------------------------------------------------------- */
/* key=value lines                                                                          */

static bool logfmt_bare(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-._:/@+", c) != NULL);
}

/* The escaped form of @p c inside quotes, written to @p out (at least 5 bytes); its length. */
static size_t logfmt_escape(unsigned char c, char *out)
{
	switch (c) {
	case '"':
	case '\\':
		out[0] = '\\';
		out[1] = (char) c;
		return 2;
	case '\n':
		memcpy(out, "\\n", 2);
		return 2;
	case '\r':
		memcpy(out, "\\r", 2);
		return 2;
	case '\t':
		memcpy(out, "\\t", 2);
		return 2;
	default:
		break;
	}
	if (c < 0x20 || c >= 0x7f) {
		static const char hex[] = "0123456789abcdef";

		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[c >> 4];
		out[3] = hex[c & 0xf];
		return 4;
	}
	out[0] = (char) c;
	return 1;
}

static bool logfmt_needs_quotes(const char *value)
{
	const unsigned char *p = (const unsigned char *) value;

	if (!*p)
		return true;
	for (; *p; p++)
		if (!logfmt_bare(*p))
			return true;
	return false;
}

size_t lt_logfmt_value_len(const char *value)
{
	const unsigned char *p;
	size_t n = 2;
	char esc[5];

	if (!value)
		value = "";
	if (!logfmt_needs_quotes(value))
		return strlen(value);
	for (p = (const unsigned char *) value; *p; p++)
		n += logfmt_escape(*p, esc);
	return n;
}

void lt_logfmt_init(struct lt_logfmt *f, char *buf, size_t cap)
{
	f->buf = buf;
	f->cap = cap;
	f->len = 0;
	f->truncated = false;
	if (cap)
		buf[0] = '\0';
}

void lt_logfmt_str(struct lt_logfmt *f, const char *key, const char *value)
{
	const unsigned char *p;
	size_t need, at;
	char esc[5];

	if (!value)
		value = "";
	need = (f->len ? 1 : 0) + strlen(key) + 1 + lt_logfmt_value_len(value);
	if (f->truncated || f->cap == 0 || need >= f->cap - f->len) {
		f->truncated = true;
		return;
	}
	at = f->len;
	if (at)
		f->buf[at++] = ' ';
	memcpy(f->buf + at, key, strlen(key));
	at += strlen(key);
	f->buf[at++] = '=';
	if (!logfmt_needs_quotes(value)) {
		memcpy(f->buf + at, value, strlen(value));
		at += strlen(value);
	} else {
		f->buf[at++] = '"';
		for (p = (const unsigned char *) value; *p; p++) {
			size_t n = logfmt_escape(*p, esc);

			memcpy(f->buf + at, esc, n);
			at += n;
		}
		f->buf[at++] = '"';
	}
	f->buf[at] = '\0';
	f->len = at;
}

void lt_logfmt_u64(struct lt_logfmt *f, const char *key, uint64_t value)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, value);
	lt_logfmt_str(f, key, num);
}

void lt_logfmt_i64(struct lt_logfmt *f, const char *key, int64_t value)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, value);
	lt_logfmt_str(f, key, num);
}

/* syslog.h - forwarding of audit records to syslog (or to an injected sink, for tests), and the
 * key=value line format they use. */
#ifndef LT_AUDIT_SYSLOG_H
#define LT_AUDIT_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A sink receives the syslog priority (facility | level) and the one-line message. */
typedef void (*lt_syslog_sink)(int priority, const char *line, void *ctx);

/* Replace the syslog socket with @p sink (NULL restores the socket). */
void lt_syslog_set_sink(lt_syslog_sink sink, void *ctx);

/* Send to the datagram socket at @p path instead of /dev/log (NULL restores it); for tests. */
void lt_syslog_set_path(const char *path);

/*
 * Send one line to facility LOG_AUTHPRIV (audit records name users and objects): security
 * failures at LOG_WARNING, everything else at LOG_INFO, as program "lethe" with the process id.
 * The line goes as an RFC 3164 message over lethe's own connection to /dev/log (close-on-exec),
 * never through openlog()/syslog(), so the host program's own syslog ident, facility, mask and
 * connection stay as it set them. Lost silently when no syslog daemon listens, as syslog(3)
 * does. No-op when !enabled.
 */
void lt_syslog_send(bool enabled, bool security_failure, const char *line);

/*
 * A line of key=value fields under construction. A value made only of letters, digits and
 * "-._:/@+" is written as it is; any other (empty, or with a space, '=', a quote, a backslash, a
 * control character or a byte outside ASCII) is written in double quotes, with '"' and '\'
 * escaped by a backslash, \n \r \t as such and every other such byte as \xHH. So a value can
 * never end its field early or pose as another field, whoever chose it.
 */
struct lt_logfmt {
	char *buf;
	size_t cap;
	size_t len;
	/* A field that did not fit was left out whole, and so were all after it. */
	bool truncated;
};

/* Start an empty line in @p buf (@p cap >= 1). */
void lt_logfmt_init(struct lt_logfmt *f, char *buf, size_t cap);

/* Append " key=value" (no space before the first field). @p key is a fixed lethe name. */
void lt_logfmt_str(struct lt_logfmt *f, const char *key, const char *value);
void lt_logfmt_u64(struct lt_logfmt *f, const char *key, uint64_t value);
void lt_logfmt_i64(struct lt_logfmt *f, const char *key, int64_t value);

/* Bytes lt_logfmt_str() needs for @p value alone, quotes and escapes included. */
size_t lt_logfmt_value_len(const char *value);

#endif

/* log.h - forwarding of audit records to syslog (or to an injected sink, for tests). */
#ifndef LT_COMMON_LOG_H
#define LT_COMMON_LOG_H

#include <stdbool.h>

/* A sink receives the syslog priority (facility | level) and the one-line message. */
typedef void (*lt_log_sink)(int priority, const char *line, void *ctx);

/* Replace the syslog socket with @p sink (NULL restores the socket). */
void lt_log_set_sink(lt_log_sink sink, void *ctx);

/* Send to the datagram socket at @p path instead of /dev/log (NULL restores it); for tests. */
void lt_log_set_path(const char *path);

/*
 * Send one line to facility LOG_AUTHPRIV (audit records name users and objects): security
 * failures at LOG_WARNING, everything else at LOG_INFO, as program "lethe" with the process id.
 * The line goes as an RFC 3164 message over lethe's own connection to /dev/log (close-on-exec),
 * never through openlog()/syslog(), so the host program's own syslog ident, facility, mask and
 * connection stay as it set them. Lost silently when no syslog daemon listens, as syslog(3)
 * does. No-op when !enabled.
 */
void lt_log_audit(bool enabled, bool security_failure, const char *line);

#endif

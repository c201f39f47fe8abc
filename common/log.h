/* log.h - forwarding of audit records to syslog (or to an injected sink, for tests). */
#ifndef LT_COMMON_LOG_H
#define LT_COMMON_LOG_H

#include <stdbool.h>

/* A sink receives the syslog priority (facility | level) and the one-line message. */
typedef void (*lt_log_sink)(int priority, const char *line, void *ctx);

/* Replace syslog(3) with @p sink (NULL restores syslog). */
void lt_log_set_sink(lt_log_sink sink, void *ctx);

/*
 * Send one line to facility LOG_AUTHPRIV (audit records name users and objects): security
 * failures at LOG_WARNING, everything else at LOG_INFO. Identity "lethe". No-op when !enabled.
 */
void lt_log_audit(bool enabled, bool security_failure, const char *line);

#endif

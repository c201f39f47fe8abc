/* log.c - forwards audit records to syslog(3), facility AUTHPRIV, or to a test sink. */
#include "common/log.h"

#include <pthread.h>
#include <stddef.h>
#include <syslog.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static lt_log_sink log_sink;
static void *log_sink_ctx;

/* LOG_NDELAY opens the socket now, so a later chroot or fd limit cannot lose records. */
static void log_open(void)
{
	openlog("lethe", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

void lt_log_set_sink(lt_log_sink sink, void *ctx)
{
	pthread_mutex_lock(&log_lock);
	log_sink = sink;
	log_sink_ctx = ctx;
	pthread_mutex_unlock(&log_lock);
}

void lt_log_audit(bool enabled, bool security_failure, const char *line)
{
	int priority = LOG_AUTHPRIV | (security_failure ? LOG_WARNING : LOG_INFO);

	if (!enabled || !line)
		return;
	/* The sink is called under the lock so it cannot be swapped out mid-call. */
	pthread_mutex_lock(&log_lock);
	if (log_sink) {
		log_sink(priority, line, log_sink_ctx);
	} else {
		pthread_once(&log_once, log_open);
		/* "%s": the line names users and objects and must never act as a format. */
		syslog(priority, "%s", line);
	}
	pthread_mutex_unlock(&log_lock);
}

/*
 * bench_put.c - durable small puts through the public C API (include/lethe.h only).
 *
 * Opens STORE_DIR with its service keyfile, then stores COUNT objects of SIZE random bytes
 * one after the other with lethe_object_put_buf(); each call returns only once its object is
 * durable (ciphertext fsynced and linked, row committed). Prints one line of key=value pairs:
 *   puts=N seconds=S rate=N/S p50_ms= p99_ms= max_ms= cpu_us_per_put=
 * cpu_us_per_put is user+system CPU time of this process per put (getrusage), which says what
 * one core could do if waiting for the disk cost nothing.
 *
 * usage: bench_put STORE_DIR COUNT [SIZE [GROUP]]
 *   GROUP  the group of the objects (default "bench"; its [group:NAME] must be in lethe.conf)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <lethe.h>

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6 +
	       (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* Cheap non-cryptographic filler: the content of a benchmark object does not matter, only
 * that objects differ. */
static void fill(unsigned char *buf, size_t len, unsigned long long seed)
{
	unsigned long long x = seed * 0x9E3779B97F4A7C15ULL + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char) x;
	}
}

int main(int argc, char **argv)
{
	struct lethe_open_opts opts = {0};
	struct lethe_store *st = NULL;
	char id[LETHE_ID_LEN + 1];
	unsigned long count;
	size_t size;
	unsigned char *buf;
	const char *group = "bench";
	double *lat, t0, c0, total;
	enum lethe_err rc;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: bench_put STORE_DIR COUNT [SIZE [GROUP]]\n");
		return 2;
	}
	count = strtoul(argv[2], NULL, 10);
	size = argc >= 4 ? strtoul(argv[3], NULL, 10) : 4096;
	if (argc == 5)
		group = argv[4];
	if (count == 0) {
		fprintf(stderr, "bench_put: COUNT must be at least 1\n");
		return 2;
	}
	buf = malloc(size ? size : 1);
	lat = calloc(count, sizeof(*lat));
	if (!buf || !lat) {
		free(buf);
		free(lat);
		return 2;
	}
	opts.dir = argv[1];
	rc = lethe_store_open(&opts, &st);
	if (rc != LETHE_OK) {
		fprintf(stderr, "bench_put: open %s: %s: %s\n", argv[1], lethe_strerror(rc),
			lethe_errdetail());
		free(buf);
		free(lat);
		return 1;
	}
	t0 = now_s();
	c0 = cpu_s();
	for (unsigned long i = 0; i < count; i++) {
		double s;

		fill(buf, size, i);
		s = now_s();
		rc = lethe_object_put_buf(st, buf, size, group, NULL, id);
		lat[i] = now_s() - s;
		if (rc != LETHE_OK) {
			fprintf(stderr, "bench_put: put %lu: %s: %s\n", i, lethe_strerror(rc),
				lethe_errdetail());
			lethe_store_close(st);
			free(buf);
			free(lat);
			return 1;
		}
	}
	total = now_s() - t0;
	c0 = cpu_s() - c0;
	lethe_store_close(st);
	qsort(lat, count, sizeof(*lat), cmp_double);
	printf("puts=%lu seconds=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	       "cpu_us_per_put=%.1f\n",
	       count, total, (double) count / total, lat[count / 2] * 1e3,
	       lat[(count * 99) / 100] * 1e3, lat[count - 1] * 1e3, c0 / (double) count * 1e6);
	free(lat);
	free(buf);
	return 0;
}

/*
 * runlat.c - run a command N times and report the latency of each invocation (fork, exec,
 * wait), without a shell in between: p50, p90, p99, max and mean in milliseconds.
 *
 * usage: bench_runlat N COMMAND [ARGS...]
 * The command's stdout and stderr go to /dev/null; a run that exits non-zero stops the
 * benchmark with its status.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned long n, i;
	double *lat, sum = 0;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_runlat N COMMAND [ARGS...]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	if (n == 0) {
		fprintf(stderr, "bench_runlat: N must be at least 1\n");
		return 2;
	}
	lat = calloc(n, sizeof(*lat));
	if (!lat)
		return 2;
	for (i = 0; i < n; i++) {
		double t0 = now_s();
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			free(lat);
			return 1;
		}
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1);
			dup2(null, 2);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0) {
			perror("waitpid");
			free(lat);
			return 1;
		}
		lat[i] = now_s() - t0;
		sum += lat[i];
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "bench_runlat: run %lu of %s failed (status %d)\n", i,
				argv[2], status);
			free(lat);
			return 1;
		}
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("runs=%lu p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f\n", n,
	       lat[n / 2] * 1e3, lat[(n * 9) / 10] * 1e3, lat[(n * 99) / 100] * 1e3,
	       lat[n - 1] * 1e3, sum / (double) n * 1e3);
	free(lat);
	return 0;
}

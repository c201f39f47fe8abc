/*
 * nosync.c - LD_PRELOAD shim that turns fsync, fdatasync, syncfs and sync_file_range into
 * no-ops (like eatmydata). Only for bench/run's "CPU ceiling" lines, which say how fast lethe
 * would go if the disk acknowledged a flush instantly: nothing measured under it is durable,
 * and the table says so.
 */
/* No system header: their prototypes differ in return type between libc versions. */

int fsync(int fd)
{
	(void) fd;
	return 0;
}

int fdatasync(int fd)
{
	(void) fd;
	return 0;
}

int syncfs(int fd)
{
	(void) fd;
	return 0;
}

long sync_file_range(int fd, long long offset, long long nbytes, unsigned int flags)
{
	(void) fd;
	(void) offset;
	(void) nbytes;
	(void) flags;
	return 0;
}

/*
 * mmapwrite - change a file only through a shared mapping.
 *
 *   mmapwrite [-c] FILE OFFSET TEXT
 *
 * Opens FILE (which must exist and be at least OFFSET + strlen(TEXT) bytes
 * long) O_RDWR, maps it MAP_SHARED, copies TEXT to OFFSET, then munmap()s
 * and close()s it: no write(2) at all, so a cache manager that stores only
 * after write() calls would miss the change.  With -c the descriptor is
 * closed right after mmap, before the copy: the mapping outlives it and
 * munmap is the last reference.  Exit 0, or 1 with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	char *end, *map;
	unsigned long long off;
	size_t len;
	int fd, early = 0;

	if (argc == 5 && strcmp(argv[1], "-c") == 0) {
		early = 1;
		argv++;
		argc--;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: mmapwrite [-c] FILE OFFSET TEXT\n");
		return 2;
	}
	errno = 0;
	off = strtoull(argv[2], &end, 10);
	if (errno || *end || end == argv[2]) {
		fprintf(stderr, "mmapwrite: bad offset '%s'\n", argv[2]);
		return 2;
	}
	len = strlen(argv[3]);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "mmapwrite: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "mmapwrite: fstat %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (st.st_size <= 0 || off + len > (unsigned long long)st.st_size) {
		fprintf(stderr, "mmapwrite: %s: %lld bytes, too short for %zu at %llu\n",
			argv[1], (long long)st.st_size, len, off);
		return 1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "mmapwrite: mmap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (early && close(fd) < 0) {
		fprintf(stderr, "mmapwrite: close %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	memcpy(map + off, argv[3], len);
	if (munmap(map, (size_t)st.st_size) < 0) {
		fprintf(stderr, "mmapwrite: munmap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (!early && close(fd) < 0) {
		fprintf(stderr, "mmapwrite: close %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * coda_dir.c - directory containers for the kernel channel: an open
 * directory is handed to the kernel as venus_dirent records in an unlinked
 * temp file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "venus/util/venus.h"
#include "coda_int.h"

/* Directory containers: venus_dirent records in an unlinked temp file. */
void cf_done_readdir(void *arg, int err, const struct fso_dirent *ents, size_t n)
{
	struct cpend *p = arg;
	struct hcfs_open_by_fd_out out;
	struct hcfs_dirent de;
	struct cstate *s;
	char *path = NULL;
	size_t i, nl;
	int fd = -1;

	memset(&out, 0, sizeof(out));
	if (!err && asprintf(&path, "%s/coda-dir-XXXXXX", V->cfg.cachedir) < 0)
		err = ENOMEM;
	if (!err && (fd = mkstemp(path)) < 0)
		err = errno;
	if (path) {
		if (fd >= 0)
			unlink(path);
		free(path);
	}
	for (i = 0; !err && i < n; i++) {
		nl = strnlen(ents[i].name, HCFS_MAXNAMLEN);
		memset(&de, 0, sizeof(de));
		de.d_fileno = (uint32_t)ents[i].ino ? (uint32_t)ents[i].ino : 1;
		de.d_namlen = (uint8_t)nl;
		de.d_reclen = HCFS_DIRSIZ(nl);
		de.d_type = ents[i].type == S_IFDIR ? 4 : ents[i].type == S_IFLNK ? 10 : 8;
		memcpy(de.d_name, ents[i].name, nl);
		if (write(fd, &de, de.d_reclen) != de.d_reclen)
			err = EIO;
	}
	if (!err && lseek(fd, 0, SEEK_SET) < 0)
		err = errno;
	if (!err) {
		out.fd = fd;
		if ((s = cf_state(p->ino, 1)))
			s->dir_opens++;
	}
	{
		uint64_t ino = p->ino;

		if (cf_reply(p, &out, sizeof(out), err) && !err && (s = cf_state(ino, 0))) {
			s->dir_opens--;
			cf_state_drop(s);
		}
	}
	if (fd >= 0)
		close(fd);
}

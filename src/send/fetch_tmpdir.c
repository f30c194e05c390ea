/* fetch_tmpdir.c - the private folder --fetch-urls downloads into, and the sweep of the
 * folders of runs that could not remove theirs (a second Ctrl-C, SIGKILL, a crash). */
#include "send/fetch_tmpdir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFIX "visionbatch-fetch."

/* The pid a folder name PREFIX<pid>.XXXXXX carries, or 0 when it carries none. */
static pid_t folder_pid(const char *name)
{
    if (strncmp(name, PREFIX, sizeof PREFIX - 1) != 0)
        return 0;
    const char *digits = name + sizeof PREFIX - 1;
    char *end;
    errno = 0;
    long pid = strtol(digits, &end, 10);
    if (errno || end == digits || *end != '.' || pid <= 0 || pid > INT_MAX)
        return 0;
    return (pid_t)pid;
}

/* Removes dir/name, a folder of this user whose run is gone: its files, then itself. Only
 * regular files are removed, and nothing below a subfolder (a download folder has none). */
static void remove_stale(const char *tmp, const char *name)
{
    char dir[PATH_MAX], file[PATH_MAX];
    struct stat st;
    if ((size_t)snprintf(dir, sizeof dir, "%s/%s", tmp, name) >= sizeof dir ||
        lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if ((size_t)snprintf(file, sizeof file, "%s/%s", dir, e->d_name) < sizeof file &&
            lstat(file, &st) == 0 && S_ISREG(st.st_mode))
            unlink(file);
    }
    closedir(d);
    rmdir(dir);
}

/* Removes the download folders in tmp whose run (the pid in their name) is gone. */
static void sweep_stale(const char *tmp)
{
    DIR *d = opendir(tmp);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        pid_t pid = folder_pid(e->d_name);
        if (pid > 0 && pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH)
            remove_stale(tmp, e->d_name);
    }
    closedir(d);
}

int fetch_tmpdir_make(char *dir, size_t len, char *err, size_t errlen)
{
    const char *env = getenv("TMPDIR");
    const char *tmp = env && env[0] ? env : "/tmp";
    sweep_stale(tmp);
    if ((size_t)snprintf(dir, len, "%s/" PREFIX "%ld.XXXXXX", tmp, (long)getpid()) >= len) {
        snprintf(err, errlen, "--fetch-urls: the temporary directory's name is too long");
        dir[0] = '\0';
        return -1;
    }
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "--fetch-urls: cannot make a temporary directory in %s: %s", tmp,
                 strerror(errno));
        dir[0] = '\0';
        return -1;
    }
    return 0;
}

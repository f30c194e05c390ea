/* journal_path.c - a JOURNAL argument that is missing or not a journal (journal_path.h). */
#include "journal_path.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Every SQLite database file begins with these 16 bytes (sqlite.org/fileformat.html,
 * section 1.3.1 "Magic Header String"). */
static const char sqlite_magic[16] = "SQLite format 3";

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The journal the user probably meant instead of path, into out; false when none is
 * found. Tried in order: PATH.journal, PATH with .journal instead of its extension
 * (results.jsonl -> results.journal), the first *.journal of path's directory by name. */
static bool journal_guess(const char *path, char *out, size_t len)
{
    if ((size_t)snprintf(out, len, "%s.journal", path) < len && is_file(out))
        return true;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base &&
        (size_t)snprintf(out, len, "%.*s.journal", (int)(dot - path), path) < len &&
        strcmp(out, path) != 0 && is_file(out))
        return true;
    char dir[4096];
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path + 1), path);
    else
        dir[0] = '\0';
    DIR *d = opendir(dir[0] ? dir : ".");
    if (!d)
        return false;
    char best[256] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!ends_with(e->d_name, ".journal") || strcmp(e->d_name, base) == 0)
            continue;
        if ((!best[0] || strcmp(e->d_name, best) < 0) && strlen(e->d_name) < sizeof best)
            snprintf(best, sizeof best, "%s", e->d_name);
    }
    closedir(d);
    return best[0] && (size_t)snprintf(out, len, "%s%s", dir, best) < len && is_file(out);
}

int journal_path_check(const char *path, char *err, size_t errlen)
{
    char head[16] = {0}, guess[4096];
    bool missing = false;
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT) {
        missing = true;
    } else if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    } else {
        size_t n = fread(head, 1, sizeof head, f);
        fclose(f);
        if (n == sizeof head && memcmp(head, sqlite_magic, sizeof head) == 0)
            return 0;
    }
    const char *suggest = journal_guess(path, guess, sizeof guess) ? guess : NULL;
    if (missing)
        snprintf(err, errlen, "no journal at %s", path);
    else
        snprintf(err, errlen, "%s is not a visionbatch journal", path);
    if (suggest) {
        size_t at = strlen(err);
        snprintf(err + at, errlen - at, "; did you mean %s?", suggest);
    }
    return -1;
}
